import Crypto

// The only file of the module that touches raw pointers: fixed-offset big-endian stores and loads over
// a region that the caller has sized and bounds-checked first. Each access also asserts that it stays inside
// the region (`assert`: checked in debug builds, which the fuzzers run; compiled out in release).

/// Asserts that `width` bytes at `offset` lie inside a region of `count` bytes.
@inlinable @inline(__always)
func assertInWireRegion(_ offset: Int, _ width: Int, _ count: Int) {
    assert(offset >= 0 && width >= 0 && offset <= count - width, "wire access of \(width) byte(s) at \(offset) outside a region of \(count)")
}

/// Writes big-endian integers at fixed offsets of a region reserved at the end of a byte buffer.
@usableFromInline
struct WireWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    /// The region's size in bytes (accesses are asserted to stay below it).
    @usableFromInline let count: Int

    @inlinable @inline(__always)
    init(base: UnsafeMutableRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable @inline(__always)
    func u8(_ offset: Int, _ value: UInt8) {
        assertInWireRegion(offset, 1, count)
        base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }
    @inlinable @inline(__always)
    func u16(_ offset: Int, _ value: UInt16) {
        assertInWireRegion(offset, 2, count)
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable @inline(__always)
    func u32(_ offset: Int, _ value: UInt32) {
        assertInWireRegion(offset, 4, count)
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable @inline(__always)
    func u64(_ offset: Int, _ value: UInt64) {
        assertInWireRegion(offset, 8, count)
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }

    @inlinable @inline(__always)
    func bytes32(_ offset: Int, _ value: Bytes32) {
        u64(offset, value.w0)
        u64(offset + 8, value.w1)
        u64(offset + 16, value.w2)
        u64(offset + 24, value.w3)
    }
    @inlinable @inline(__always)
    func signature(_ offset: Int, _ value: ClaimSignature) {
        bytes32(offset, value.r)
        bytes32(offset + 32, value.s)
    }
    @inlinable @inline(__always)
    func bytes(_ offset: Int, _ value: UnsafeRawBufferPointer) {
        assertInWireRegion(offset, value.count, count)
        if value.count > 0 { base.advanced(by: offset).copyMemory(from: value.baseAddress!, byteCount: value.count) }
    }
}

/// SHA-256 of a region, without copying it.
func sha256(_ bytes: UnsafeRawBufferPointer) -> SHA256.Digest {
    var hasher = SHA256()
    hasher.update(bufferPointer: bytes)
    return hasher.finalize()
}

/// A zero-filled block used to grow buffers with one `memcpy`.
@usableFromInline
let wireZeros = [UInt8](repeating: 0, count: 16 * 1024)

extension Array where Element == UInt8 {
    /// Grows the buffer by `count` bytes and lets `body` write them through a ``WireWriter`` (offsets are
    /// relative to the start of the new region). `body` must write only inside `0..<count`.
    @inlinable @inline(__always)
    mutating func appendWire(count: Int, _ body: (WireWriter) -> Void) {
        let start = self.count
        var remaining = count
        while remaining > 0 {
            let chunk = Swift.min(remaining, wireZeros.count)
            append(contentsOf: wireZeros[0..<chunk])
            remaining -= chunk
        }
        withUnsafeMutableBytes { raw in body(WireWriter(base: raw.baseAddress! + start, count: count)) }
    }
}

/// Reads big-endian integers at offsets of a region whose bounds the caller checked (and that each read asserts).
@usableFromInline
struct WireReader {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let count: Int

    @inlinable @inline(__always)
    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        assertInWireRegion(offset, 1, count)
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }
    @inlinable @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        assertInWireRegion(offset, 2, count)
        return UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        assertInWireRegion(offset, 4, count)
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        assertInWireRegion(offset, 8, count)
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inlinable @inline(__always)
    func bytes32(_ offset: Int) -> Bytes32 { Bytes32(w0: u64(offset), w1: u64(offset + 8), w2: u64(offset + 16), w3: u64(offset + 24)) }
    @inlinable @inline(__always)
    func signature(_ offset: Int) -> ClaimSignature { ClaimSignature(r: bytes32(offset), s: bytes32(offset + 32)) }
    /// A view of `length` bytes at `offset` (no copy).
    @inlinable @inline(__always)
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        assertInWireRegion(offset, length, count)
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }
}

extension Collection where Element == UInt8 {
    /// Runs `body` on a contiguous view of the bytes (copying only when the collection is not contiguous).
    @inlinable
    func withWireReader<R, E: Error>(_ body: (WireReader) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E>? = withContiguousStorageIfAvailable { buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            do throws(E) {
                return .success(try body(WireReader(base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: raw.count)))
            } catch {
                return .failure(error)
            }
        }
        if let result { return try result.get() }
        return try Array(self).withWireReader(body)
    }
}
