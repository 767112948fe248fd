import Foundation

/// Paths inside the repository, for tests that run the project's scripts or read its fixtures.
public enum RepositoryPaths {
    /// The repository root (the folder holding `Package.swift`).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static var fixtures: URL { root.appendingPathComponent("Fixtures") }
    public static var hardware: URL { root.appendingPathComponent("Hardware") }
}
