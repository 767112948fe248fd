import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Secrets kept in files that only their owner may read (mode 0600 or 0400): API and gateway tokens, the CPS
/// PIN, software signing keys. Every program reads them through here, so every program refuses a secret that
/// other users could read, naming the file and its mode.
public enum SecretFile {
    /// Why a secret file was refused.
    public struct Problem: Error, CustomStringConvertible, Sendable, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads the token in `path`. The file must belong to the current user and be readable by nobody else
    /// (mode 0600 or 0400), and hold at least 16 printable characters on its first line.
    public static func read(_ path: String) throws(Problem) -> String {
        try checkOwnerOnly(path, what: "the token file")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem("\(path): cannot read the token file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw Problem("\(path): the token is not UTF-8 text") }
        let token = (text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        guard token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 0x21 && $0.asciiValue! < 0x7F }) else {
            throw Problem("\(path): the token must be at least 16 printable ASCII characters without spaces on the first line")
        }
        return token
    }

    /// Reads a whole secret file (e.g. a PEM key) after the same ownership and mode checks as ``read(_:)``.
    public static func readText(_ path: String, what: String = "the file") throws(Problem) -> String {
        try checkOwnerOnly(path, what: what)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Problem("\(path): cannot read the file as UTF-8 text")
        }
        return text
    }

    /// Checks that `path` is a regular file of the current user that nobody else may read.
    public static func checkOwnerOnly(_ path: String, what: String = "the file") throws(Problem) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Problem("\(path): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Problem("\(path): \(what) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw Problem("\(path): \(what) has mode \(String(mode, radix: 8)), readable by other users; run chmod 600 \(path)")
        }
        guard info.st_uid == geteuid() else {
            throw Problem("\(path): \(what) belongs to uid \(info.st_uid), not to this program's user (uid \(geteuid()))")
        }
    }

    /// Reads the token in `path`, first creating the file (mode 0600, its folder 0700 when created) with a new
    /// random token when it does not exist.
    public static func readOrCreate(_ path: String) throws(Problem) -> String {
        if !FileManager.default.fileExists(atPath: path) {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw Problem("\(folder): cannot create the folder of the token file: \(error.localizedDescription)")
                }
            }
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 {
                let token = newToken() + "\n"
                let written = token.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, token.utf8.count) }
                let ok = written == token.utf8.count && fsync(fd) == 0
                close(fd)
                guard ok else {
                    unlink(path)
                    throw Problem("\(path): cannot write the new token")
                }
            } else if errno != EEXIST {
                throw Problem("\(path): cannot create the token file: \(String(cString: strerror(errno)))")
            }
        }
        return try read(path)
    }

    /// A new random token: 32 random bytes in lowercase hex.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<32 {
            let b = UInt8.random(in: 0...255, using: &generator)
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return out
    }

    /// Reads the first line of a secret file (a gateway token, a PIN) after the ownership and mode checks of
    /// ``readText(_:)``; refuses an empty one. `what` names the secret in messages ("token", "PIN").
    public static func readFirstLine(_ path: String, what: String) throws(Problem) -> String {
        let text = try readText(path, what: "the \(what) file")
        let line = (text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        guard !line.isEmpty else { throw Problem("\(path): the \(what) file is empty") }
        return line
    }

    /// Compares two tokens in time independent of where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}
