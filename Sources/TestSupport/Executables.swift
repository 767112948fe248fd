import Foundation

/// The project's programs as this test run built them: in the build folder next to the test bundle.
public enum Executables {
    /// The program `name` (`vitaled`, `fse-send`, `vitale-card`…): looked for beside the test bundle and up to
    /// four folders above it, else in `.build/debug`.
    public static func url(_ name: String) -> URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return RepositoryPaths.root.appendingPathComponent(".build/debug/\(name)")
    }
}
