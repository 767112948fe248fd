import Testing
@testable import ISO7816

@Suite("BER-TLV reader and writer")
struct TLVTests {
    @Test func singleByteTagShortLength() throws {
        let tlvs = try TLV.parseAll([0x80, 0x03, 0x41, 0x42, 0x43])
        #expect(tlvs.count == 1)
        #expect(tlvs[0].tag == 0x80)
        #expect(Array(tlvs[0].value) == [0x41, 0x42, 0x43])
        #expect(!tlvs[0].tag.isConstructed)
    }

    @Test func multiByteTags() throws {
        let tlvs = try TLV.parseAll([0x5F, 0x20, 0x01, 0xAA, 0x7F, 0x21, 0x00, 0x9F, 0x81, 0x01, 0x01, 0xBB])
        #expect(tlvs.map(\.tag) == [0x5F20, 0x7F21, 0x9F8101])
        #expect(tlvs[1].tag.isConstructed)
        #expect(tlvs[2].tag.bytes == [0x9F, 0x81, 0x01])
        #expect(tlvs[2].tag.description == "9F8101")
    }

    @Test(arguments: [(0x7F, [UInt8(0x7F)]), (0x80, [0x81, 0x80]), (0xFF, [0x81, 0xFF]), (0x100, [0x82, 0x01, 0x00]),
                      (0xFFFF, [0x82, 0xFF, 0xFF]), (0x10000, [0x83, 0x01, 0x00, 0x00])])
    func longFormLengths(length: Int, field: [UInt8]) throws {
        var writer = TLVWriter()
        let value = [UInt8](repeating: 0x42, count: length)
        writer.append(tag: 0x04, value: value)
        #expect(Array(writer.bytes[1..<(1 + field.count)]) == field)
        let parsed = try TLV.parseAll(writer.bytes)
        #expect(parsed.count == 1 && parsed[0].value.count == length)
    }

    @Test func nestingAndChildren() throws {
        var writer = TLVWriter()
        writer.appendConstructed(tag: 0x65) { inner in
            inner.append(tag: 0x80, value: Array("DUPONT".utf8))
            inner.append(tag: 0x81, value: Array("MARIE".utf8))
            inner.appendConstructed(tag: 0xA0) { deeper in deeper.append(tag: 0x82, value: Array("19801132".utf8)) }
        }
        let outer = try TLV.parseAll(writer.bytes)
        #expect(outer.count == 1 && outer[0].tag == 0x65)
        let children = try outer[0].children()
        #expect(children.map(\.tag) == [0x80, 0x81, 0xA0])
        #expect(String(decoding: try #require(try outer[0].child(0x81)).value, as: UTF8.self) == "MARIE")
        #expect(try outer[0].child(0x99) == nil)
        let date = try children[2].children()[0]
        #expect(String(decoding: date.value, as: UTF8.self) == "19801132")
        #expect(throws: TLVError.self) { try children[0].children() }
        #expect(outer[0].bytes == writer.bytes)
    }

    @Test func constructedLongerThan127BytesGetsALongLength() throws {
        var writer = TLVWriter()
        writer.appendConstructed(tag: 0x70) { inner in
            for index in 0..<20 { inner.append(tag: 0x80, value: [UInt8](repeating: UInt8(index), count: 10)) }
        }
        #expect(writer.bytes[1] == 0x81 && writer.bytes[2] == 240)
        #expect(try TLV.parseAll(writer.bytes)[0].children().count == 20)
    }

    @Test func writerBufferIsReusable() {
        var writer = TLVWriter(reservingCapacity: 64)
        writer.append(tag: 0x80, value: [1])
        writer.removeAll()
        writer.append(tag: 0x81, value: [2])
        #expect(writer.bytes == [0x81, 0x01, 0x02])
    }

    @Test func paddingIsSkipped() throws {
        let tlvs = try TLV.parseAll([0x00, 0x00, 0x80, 0x01, 0x01, 0xFF, 0x00, 0x81, 0x00, 0x00, 0xFF, 0xFF])
        #expect(tlvs.map(\.tag) == [0x80, 0x81])
        #expect(try TLV.parseAll([0x00, 0x00, 0xFF]).isEmpty)
        var reader = TLVReader([0x80, 0x00, 0x00, 0x00][...])
        _ = try reader.next()
        #expect(reader.isAtEnd)
    }

    @Test func valueIsASliceOfTheInput() throws {
        let buffer: [UInt8] = [0x99, 0x80, 0x02, 0x01, 0x02]
        let tlv = try TLV.parseAll(buffer[1...])[0]
        #expect(tlv.value.startIndex == 3)
    }

    @Test(arguments: [
        ([UInt8(0x5F)], TLVError.Reason.truncatedTag),
        ([0x9F, 0x81, 0x81, 0x81, 0x01, 0x00], .tagTooLong),
        ([0x80], .truncatedLength),
        ([0x80, 0x82, 0x01], .truncatedLength),
        ([0x80, 0x80, 0x00, 0x00], .indefiniteLength),
        ([0x80, 0x85, 0x01, 0x01, 0x01, 0x01, 0x01], .lengthTooLong),
        ([0x80, 0x03, 0x01, 0x02], .valueOverrun),
        ([0x80, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], .valueOverrun),
    ])
    func malformedInputIsReportedWithItsOffset(bytes: [UInt8], reason: TLVError.Reason) {
        #expect(throws: TLVError.self) { try TLV.parseAll(bytes) }
        do {
            _ = try TLV.parseAll(bytes)
        } catch {
            #expect(error.reason == reason)
            #expect(error.offset >= 0 && error.offset <= bytes.count)
        }
    }

    @Test func malformedNeverTraps() {
        // Every prefix and every single-byte mutation of a valid nested object parses or throws, never traps.
        var writer = TLVWriter()
        writer.appendConstructed(tag: 0x65) { inner in
            inner.append(tag: 0x5F20, value: [UInt8](repeating: 0x41, count: 130))
            inner.append(tag: 0x80, value: [1, 2, 3])
        }
        let valid = writer.bytes
        func walk(_ tlvs: [TLV], depth: Int) {
            guard depth < 8 else { return }
            for tlv in tlvs where tlv.tag.isConstructed {
                if let children = try? tlv.children() { walk(children, depth: depth + 1) }
            }
        }
        for end in 0...valid.count {
            if let tlvs = try? TLV.parseAll(Array(valid[..<end])) { walk(tlvs, depth: 0) }
        }
        for index in valid.indices {
            for value: UInt8 in [0x00, 0x1F, 0x7F, 0x80, 0x81, 0x84, 0xFF] {
                var mutated = valid
                mutated[index] = value
                if let tlvs = try? TLV.parseAll(mutated) { walk(tlvs, depth: 0) }
            }
        }
    }
}
