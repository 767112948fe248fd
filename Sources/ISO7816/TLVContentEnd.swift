extension TLV {
    /// Where a zero-padded card file's content ends: the index of the first `00` byte where a top-level tag
    /// would start, or nil when the bytes end inside the content (more must be read, or the file has no end
    /// marker). Throws for damage that more bytes cannot repair (a tag longer than 4 bytes, an indefinite
    /// length, a length field longer than 4 bytes). The one version the Vitale and CPS decoders share.
    public static func contentEnd(_ bytes: [UInt8]) throws(TLVError) -> Int? {
        var p = 0
        let end = bytes.count
        while p < end {
            if bytes[p] == 0x00 { return p }
            let tagStart = p
            if bytes[p] & 0x1F == 0x1F {
                var count = 1
                p += 1
                while true {
                    guard p < end else { return nil }
                    count += 1
                    guard count <= 4 else { throw TLVError(.tagTooLong, at: tagStart) }
                    let b = bytes[p]
                    p += 1
                    if b & 0x80 == 0 { break }
                }
            } else {
                p += 1
            }
            guard p < end else { return nil }
            let lengthStart = p
            let first = bytes[p]
            p += 1
            var length = 0
            if first == 0x80 { throw TLVError(.indefiniteLength, at: lengthStart) }
            if first < 0x80 {
                length = Int(first)
            } else {
                let n = Int(first & 0x7F)
                guard n <= 4 else { throw TLVError(.lengthTooLong, at: lengthStart) }
                guard end - p >= n else { return nil }
                for _ in 0..<n {
                    length = length << 8 | Int(bytes[p])
                    p += 1
                }
            }
            guard length <= end - p else { return nil }
            p += length
        }
        return nil
    }
}
