import Foundation

/// A temporary folder under `/tmp`, removed when the value goes away. Its path stays short (a Unix socket
/// path inside it must fit in 108 bytes).
public final class TemporaryFolder: Sendable {
    public let url: URL

    /// Creates `/tmp/<prefix>-<8 random hex digits>`.
    public init(prefix: String = "openvitale") throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
