@testable import Claims
import Foundation
import Testing

/// The offset tables of the wire-format files (`FSEWire`, `LotWire`) against `docs/fse-format.md`, the
/// normative description: same fields at the same offsets, and the rows of each table tile its structure.
@Suite("Wire offset tables")
struct WireTableTests {
    /// The rows `(offset, size, field)` of the table that follows the heading starting with `heading`.
    static func documented(_ heading: String) throws -> [(offset: Int, size: Int, field: String)] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/fse-format.md").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("### " + heading) }) else { return [] }
        var rows: [(offset: Int, size: Int, field: String)] = []
        for line in lines[(start + 1)...] {
            if line.hasPrefix("#") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 5, let offset = Int(cells[1]), let size = Int(cells[2]) else { continue }
            rows.append((offset, size, cells[4]))
        }
        return rows
    }

    func check(_ heading: String, size: Int, _ table: [(field: String, offset: Int)]) throws {
        let rows = try Self.documented(heading)
        #expect(rows.map(\.field) == table.map(\.field), "\(heading): fields")
        #expect(rows.map(\.offset) == table.map(\.offset), "\(heading): offsets")
        var end = 0
        for row in rows {
            #expect(row.offset == end, "\(heading): '\(row.field)' at \(row.offset), the previous field ends at \(end)")
            end = row.offset + row.size
        }
        #expect(end == size, "\(heading): the fields end at \(end), the structure is \(size) bytes")
    }

    @Test func fseHeader() throws {
        typealias F = FSEWire.Field
        try check("Header (126 bytes)", size: FSEWire.headerSize, [
            ("magic", F.magic), ("record length", F.recordLength), ("presence flags", F.presence),
            ("option flags", F.options), ("invoice number", F.invoiceNumber), ("invoice date", F.invoiceDate),
            ("nature of operation", F.operation), ("corrected invoice number", F.correctedNumber),
            ("corrected invoice date", F.correctedDate), ("billing number", F.billingNumber),
            ("situation number", F.situationNumber), ("mode d'exercice", F.practiceMode),
            ("code conventionnel", F.conventionCode), ("spécialité", F.specialty), ("zone tarifaire", F.tariffZone),
            ("zone IK", F.ikZone), ("NIR", F.nir), ("individual NIR", F.individualNIR), ("date of birth", F.birthDate),
            ("rang", F.rank), ("qualité", F.quality), ("code situation", F.situationCode),
            ("rights start", F.rightsStart), ("rights end", F.rightsEnd), ("AMO régime", F.amoRegime),
            ("AMO caisse", F.amoFund), ("AMO centre", F.amoCentre), ("AMO computing centre", F.amoComputingCentre),
            ("AMC number", F.amcNumber), ("nature d'assurance", F.insuranceNature), ("parcours de soins", F.parcours),
            ("exonération", F.exoneration), ("total", F.total), ("base", F.base), ("AMO", F.amo), ("AMC", F.amc),
            ("patient", F.patient), ("participation forfaitaire", F.participationForfaitaire),
            ("AMO rate", F.amoRate), ("act count", F.actCount),
        ])
        #expect(F.individualNIR - F.nir == FSEWire.nirSize)
        #expect(FSEWire.prefixSize == F.presence)
    }

    @Test func actLine() throws {
        typealias A = FSEWire.Act
        try check("Act line", size: FSEWire.actSize, [
            ("kind", A.kind), ("code", A.code), ("coefficient", A.coefficient), ("activity", A.activity),
            ("phase", A.phase), ("quantity", A.quantity), ("majoration count", A.majorationCount), ("act date", A.date),
            ("majorations", A.majorations), ("base", A.base), ("overcharge", A.overcharge), ("total", A.total),
            ("AMO", A.amo), ("AMC", A.amc), ("patient", A.patient),
        ])
        #expect(A.majoration(Majorations.capacity) == A.base)
    }

    @Test func lotHeader() throws {
        typealias H = LotWire.Header
        try check("Lot header (76 bytes)", size: LotWire.headerSize, [
            ("magic", H.magic), ("flags", H.flags), ("reserved", H.reserved), ("lot length", H.lotLength),
            ("sender", H.sender), ("lot number", H.lotNumber), ("creation date", H.creationDate),
            ("creation time", H.creationTime), ("destination régime", H.destinationRegime),
            ("destination caisse", H.destinationFund), ("destination computing centre", H.destinationComputingCentre),
            ("reserved", H.reservedAfterDestination), ("FSE count", H.fseCount),
            ("signer fingerprint", H.signerFingerprint),
        ])
    }

    @Test func lotTrailer() throws {
        typealias T = LotWire.Trailer
        try check("Lot trailer", size: LotWire.trailerSize, [
            ("magic", T.magic), ("FSE count", T.fseCount), ("total", T.total), ("AMO", T.amo), ("AMC", T.amc),
            ("patient", T.patient), ("digest", T.digest), ("lot signature", T.signature),
        ])
        #expect(T.signature - T.digest == LotWire.digestSize)
        #expect(LotWire.trailerSize - T.signature == LotWire.signatureSize)
    }

    #if DEBUG
    /// The raw accesses of WireBytes.swift assert that they stay inside their region (debug builds only).
    @Test func wireAccessOutsideTheRegionTrapsInDebugBuilds() async throws {
        let read = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            [UInt8](repeating: 0, count: 3).withWireReader { r in _ = r.u32(0) }
        }
        #expect(String(decoding: read.standardErrorContent, as: UTF8.self).contains("wire access of 4 byte(s) at 0 outside a region of 3"))
        let write = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var buffer: [UInt8] = []
            buffer.appendWire(count: 4) { w in w.u16(3, 1) }
        }
        #expect(String(decoding: write.standardErrorContent, as: UTF8.self).contains("wire access of 2 byte(s) at 3 outside a region of 4"))
    }
    #endif

    @Test func peekHeaderReadsSenderAndLotNumber() async throws {
        let signer = SoftwareClaimSigner()
        let invoice = try await SignedFSE.sign(Samples.rich(), with: signer)
        let header = LotHeader(
            sender: Samples.situation.billingNumber, lotNumber: 77, creationDate: Samples.today, creationTime: 101_500,
            destination: invoice.fse.destination, count: 1, signer: signer.identity)
        var encoder = LotEncoder()
        let lot = try await encoder.signedLot(header: header, invoices: [invoice], signer: signer)
        let peeked = try #require(LotDecoder.peekHeader(lot.bytes))
        #expect(peeked.sender == header.sender.value)
        #expect(peeked.lotNumber == 77)
        // Enough bytes for the two fields, from a slice: read; one byte fewer: nil.
        #expect(LotDecoder.peekHeader(lot.bytes[0..<(LotWire.Header.lotNumber + 4)])?.lotNumber == 77)
        #expect(LotDecoder.peekHeader(lot.bytes[0..<(LotWire.Header.lotNumber + 3)]) == nil)
        #expect(LotDecoder.peekHeader([UInt8]()) == nil)
    }
}
