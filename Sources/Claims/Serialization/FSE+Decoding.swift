import Vitale

extension FSE {
    /// Decodes exactly one FSE record (format 1) from `bytes`; refuses truncated, malformed, non-canonical
    /// or inconsistent input and trailing bytes. Reads the bytes in place (no copy when contiguous).
    /// Re-encoding the result gives back the same bytes.
    public init(decoding bytes: some Collection<UInt8>) throws(FSEDecodingError) {
        self = try bytes.withWireReader { (reader: WireReader) throws(FSEDecodingError) -> FSE in
            let (fse, length) = try FSE.decodeRecord(reader, at: 0, end: reader.count, reportingFrom: 0)
            guard length == reader.count else { throw FSEDecodingError(.trailingBytes, length, "end of record") }
            return fse
        }
    }

    /// Decodes the record at `start` that must end at or before `end`. Returns the FSE and its length.
    /// Error offsets are `origin + offset within reader`.
    @usableFromInline
    static func decodeRecord(_ r: WireReader, at start: Int, end: Int, reportingFrom origin: Int) throws(FSEDecodingError) -> (FSE, Int) {
        @inline(__always) func fail(_ reason: FSEDecodingError.Reason, _ offset: Int, _ field: StaticString) -> FSEDecodingError {
            FSEDecodingError(reason, origin + start + offset, field)
        }
        let available = end - start
        guard available >= 6 else { throw fail(.truncated, 0, available < 4 ? "magic" : "record length") }
        guard r.u32(start) == FSEWire.magic else { throw fail(.badMagic, 0, "magic") }
        let length = Int(r.u16(start + 4))
        guard length >= FSEWire.headerSize, length <= FSEWire.maximumSize,
              (length - FSEWire.headerSize) % FSEWire.actSize == 0
        else { throw fail(.badLength, 4, "record length") }
        guard available >= FSEWire.headerSize else { throw fail(.truncated, available, "header") }
        let actCount = Int(r.u8(start + 125))
        guard actCount >= 1, actCount <= FSE.maximumActs else { throw fail(.invalidValue, 125, "act count") }
        guard length == FSEWire.size(acts: actCount) else { throw fail(.badLength, 4, "record length") }
        guard available >= length else { throw fail(.truncated, available, "acts") }

        @inline(__always) func u8(_ o: Int) -> UInt8 { r.u8(start + o) }
        @inline(__always) func u16(_ o: Int) -> UInt16 { r.u16(start + o) }
        @inline(__always) func u32(_ o: Int) -> UInt32 { r.u32(start + o) }
        @inline(__always) func u64(_ o: Int) -> UInt64 { r.u64(start + o) }
        func date(_ o: Int, _ field: StaticString) throws(FSEDecodingError) -> ClaimDate {
            guard let d = ClaimDate(yyyymmdd: u32(o)) else { throw fail(.invalidValue, o, field) }
            return d
        }
        func zero32(_ o: Int, _ field: StaticString) throws(FSEDecodingError) {
            guard u32(o) == 0 else { throw fail(.nonCanonical, o, field) }
        }

        let presence = u8(6)
        guard presence & ~FSEWire.presenceMask == 0 else { throw fail(.nonCanonical, 6, "presence flags") }
        if presence & FSEWire.hasRightsEnd != 0, presence & FSEWire.hasRights == 0 {
            throw fail(.nonCanonical, 6, "presence flags")
        }
        let options = u8(7)
        guard options & ~FSEWire.optionMask == 0 else { throw fail(.nonCanonical, 7, "option flags") }

        let invoiceNumber = u32(8)
        guard invoiceNumber >= 1, invoiceNumber <= 999_999_999 else { throw fail(.invalidValue, 8, "invoice number") }
        let invoiceDate = try date(12, "invoice date")
        guard let operation = OperationNature(rawValue: u8(16)) else { throw fail(.invalidValue, 16, "operation nature") }
        var corrected: CorrectedInvoice?
        if presence & FSEWire.hasCorrected != 0 {
            let number = u32(17)
            guard number >= 1, number <= 999_999_999 else { throw fail(.invalidValue, 17, "corrected invoice number") }
            corrected = CorrectedInvoice(number: number, date: try date(21, "corrected invoice date"))
        } else {
            try zero32(17, "corrected invoice number")
            try zero32(21, "corrected invoice date")
        }

        guard let billing = BillingNumber(value: u32(25)) else { throw fail(.invalidValue, 25, "billing number") }
        let practitioner = PractitionerSituation(
            billingNumber: billing, situationNumber: u8(29), practiceMode: u8(30), conventionCode: u8(31),
            specialty: u8(32), tariffZone: u8(33), ikZone: u8(34),
            maySignInvoice: options & FSEWire.maySignInvoice != 0, maySignLot: options & FSEWire.maySignLot != 0
        )

        let nir: NIR
        do { nir = try NIR(packedASCII: (u64(35), u64(43) & ~0xFF)) } catch { throw fail(.invalidValue, 35, "NIR") }
        var individualNIR: NIR?
        if presence & FSEWire.hasIndividualNIR != 0 {
            do { individualNIR = try NIR(packedASCII: (u64(50), u64(58) & ~0xFF)) } catch {
                throw fail(.invalidValue, 50, "individual NIR")
            }
        } else {
            guard u64(50) == 0, u64(57) == 0 else { throw fail(.nonCanonical, 50, "individual NIR") }
        }
        guard let birthDate = BirthDate(yyyymmdd: u32(65)) else { throw fail(.invalidValue, 65, "birth date") }
        var rights: RightsPeriod?
        if presence & FSEWire.hasRights != 0 {
            let startDate = try date(73, "rights start")
            var endDate: ClaimDate?
            if presence & FSEWire.hasRightsEnd != 0 { endDate = try date(77, "rights end") } else { try zero32(77, "rights end") }
            rights = RightsPeriod(start: startDate, end: endDate)
        } else {
            try zero32(73, "rights start")
            try zero32(77, "rights end")
        }
        let beneficiary = Beneficiary(
            nir: nir, individualNIR: individualNIR, birthDate: birthDate, rank: u8(69), quality: u8(70),
            situationCode: u16(71),
            identification: options & FSEWire.withoutCard != 0 ? .attestationWithoutCard : .vitaleCard,
            rights: rights
        )
        let amo = AMOOrganism(regime: u8(81), fund: u16(82), centre: u16(84), computingCentre: u16(86))
        var amc: AMCOrganism?
        if presence & FSEWire.hasAMC != 0 {
            let organism = AMCOrganism(number: u64(88))
            guard organism.isWellFormed else { throw fail(.invalidValue, 88, "AMC number") }
            amc = organism
        } else {
            guard u64(88) == 0 else { throw fail(.nonCanonical, 88, "AMC number") }
        }
        guard let nature = InsuranceNature(rawValue: u16(96)) else { throw fail(.invalidValue, 96, "insurance nature") }
        guard let parcours = ParcoursDeSoins(rawValue: u8(98)) else { throw fail(.invalidValue, 98, "parcours") }
        guard let exoneration = Exoneration(rawValue: u8(99)) else { throw fail(.invalidValue, 99, "exoneration") }
        var tiersPayant: TiersPayant = []
        if options & FSEWire.tiersPayantAMO != 0 { tiersPayant.insert(.amo) }
        if options & FSEWire.tiersPayantAMC != 0 { tiersPayant.insert(.amc) }

        var totals = ClaimTotals()
        totals.total = u32(100)
        totals.base = u32(104)
        totals.amo = u32(108)
        totals.amc = u32(112)
        totals.patient = u32(116)
        totals.participationForfaitaire = u32(120)
        totals.amoRate = u8(124)
        guard totals.amoRate <= 100 else { throw fail(.invalidValue, 124, "AMO rate") }

        var acts: [Act] = []
        acts.reserveCapacity(actCount)
        var sumTotal: UInt64 = 0, sumBase: UInt64 = 0, sumAMO: UInt64 = 0, sumAMC: UInt64 = 0, sumPatient: UInt64 = 0
        var o = FSEWire.headerSize
        for _ in 0..<actCount {
            guard let kind = ActKind(rawValue: u8(o)) else { throw fail(.invalidValue, o, "act kind") }
            guard let code = ActCode(packed: u64(o + 1)) else { throw fail(.invalidValue, o + 1, "act code") }
            let majorationCount = Int(u8(o + 14))
            guard majorationCount <= Majorations.capacity else { throw fail(.invalidValue, o + 14, "majoration count") }
            var majorations = Majorations()
            for slot in 0..<Majorations.capacity {
                let packed = u64(o + 19 + 8 * slot)
                if slot < majorationCount {
                    guard let m = ActCode(packed: packed) else { throw fail(.invalidValue, o + 19 + 8 * slot, "majoration code") }
                    majorations.append(m)
                } else {
                    guard packed == 0 else { throw fail(.nonCanonical, o + 19 + 8 * slot, "majoration code") }
                }
            }
            var amounts = ActAmounts()
            amounts.base = u32(o + 51)
            let overcharge = u32(o + 55)
            amounts.total = u32(o + 59)
            amounts.amo = u32(o + 63)
            amounts.amc = u32(o + 67)
            amounts.patient = u32(o + 71)
            guard UInt64(amounts.base) + UInt64(overcharge) == UInt64(amounts.total),
                  UInt64(amounts.amo) + UInt64(amounts.amc) + UInt64(amounts.patient) == UInt64(amounts.total)
            else { throw fail(.inconsistentAmounts, o + 51, "act amounts") }
            acts.append(Act(
                kind: kind, code: code, coefficient: u16(o + 9), activity: u8(o + 11), phase: u8(o + 12),
                date: try date(o + 15, "act date"), quantity: u8(o + 13), majorations: majorations,
                overcharge: overcharge, amounts: amounts
            ))
            sumTotal += UInt64(amounts.total); sumBase += UInt64(amounts.base); sumAMO += UInt64(amounts.amo)
            sumAMC += UInt64(amounts.amc); sumPatient += UInt64(amounts.patient)
            o += FSEWire.actSize
        }
        let pf = UInt64(totals.participationForfaitaire)
        guard sumTotal == UInt64(totals.total), sumBase == UInt64(totals.base), sumAMC == UInt64(totals.amc),
              sumAMO == UInt64(totals.amo) + pf, sumPatient + pf == UInt64(totals.patient)
        else { throw fail(.inconsistentAmounts, 100, "totals") }

        let fse = FSE(
            invoiceNumber: invoiceNumber, invoiceDate: invoiceDate, operation: operation, correctedInvoice: corrected,
            practitioner: practitioner, beneficiary: beneficiary, amo: amo, amc: amc, insuranceNature: nature,
            parcours: parcours, exoneration: exoneration, tiersPayant: tiersPayant, acts: acts, totals: totals
        )
        return (fse, length)
    }
}
