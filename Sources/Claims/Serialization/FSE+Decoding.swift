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
        typealias F = FSEWire.Field
        typealias A = FSEWire.Act
        let available = end - start
        guard available >= FSEWire.prefixSize else {
            throw fail(.truncated, F.magic, available < F.recordLength ? "magic" : "record length")
        }
        guard r.u32(start + F.magic) == FSEWire.magic else { throw fail(.badMagic, F.magic, "magic") }
        let length = Int(r.u16(start + F.recordLength))
        guard length >= FSEWire.headerSize, length <= FSEWire.maximumSize,
              (length - FSEWire.headerSize) % FSEWire.actSize == 0
        else { throw fail(.badLength, F.recordLength, "record length") }
        guard available >= FSEWire.headerSize else { throw fail(.truncated, available, "header") }
        let actCount = Int(r.u8(start + F.actCount))
        guard actCount >= 1, actCount <= FSE.maximumActs else { throw fail(.invalidValue, F.actCount, "act count") }
        guard length == FSEWire.size(acts: actCount) else { throw fail(.badLength, F.recordLength, "record length") }
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

        let presence = u8(F.presence)
        guard presence & ~FSEWire.presenceMask == 0 else { throw fail(.nonCanonical, F.presence, "presence flags") }
        if presence & FSEWire.hasRightsEnd != 0, presence & FSEWire.hasRights == 0 {
            throw fail(.nonCanonical, F.presence, "presence flags")
        }
        let options = u8(F.options)
        guard options & ~FSEWire.optionMask == 0 else { throw fail(.nonCanonical, F.options, "option flags") }

        let invoiceNumber = u32(F.invoiceNumber)
        guard invoiceNumber >= 1, invoiceNumber <= 999_999_999 else { throw fail(.invalidValue, F.invoiceNumber, "invoice number") }
        let invoiceDate = try date(F.invoiceDate, "invoice date")
        guard let operation = OperationNature(rawValue: u8(F.operation)) else {
            throw fail(.invalidValue, F.operation, "operation nature")
        }
        var corrected: CorrectedInvoice?
        if presence & FSEWire.hasCorrected != 0 {
            let number = u32(F.correctedNumber)
            guard number >= 1, number <= 999_999_999 else { throw fail(.invalidValue, F.correctedNumber, "corrected invoice number") }
            corrected = CorrectedInvoice(number: number, date: try date(F.correctedDate, "corrected invoice date"))
        } else {
            try zero32(F.correctedNumber, "corrected invoice number")
            try zero32(F.correctedDate, "corrected invoice date")
        }

        guard let billing = BillingNumber(value: u32(F.billingNumber)) else {
            throw fail(.invalidValue, F.billingNumber, "billing number")
        }
        let practitioner = PractitionerSituation(
            billingNumber: billing, situationNumber: u8(F.situationNumber), practiceMode: u8(F.practiceMode),
            conventionCode: u8(F.conventionCode), specialty: u8(F.specialty), tariffZone: u8(F.tariffZone),
            ikZone: u8(F.ikZone),
            maySignInvoice: options & FSEWire.maySignInvoice != 0, maySignLot: options & FSEWire.maySignLot != 0
        )

        // A nir15 is read as two u64; the second one's last byte belongs to the next field (masked off).
        @inline(__always) func packedNIR(_ o: Int) -> (UInt64, UInt64) { (u64(o), u64(o + FSEWire.nirSecondWord) & ~0xFF) }
        let nir: NIR
        do { nir = try NIR(packedASCII: packedNIR(F.nir)) } catch { throw fail(.invalidValue, F.nir, "NIR") }
        var individualNIR: NIR?
        if presence & FSEWire.hasIndividualNIR != 0 {
            do { individualNIR = try NIR(packedASCII: packedNIR(F.individualNIR)) } catch {
                throw fail(.invalidValue, F.individualNIR, "individual NIR")
            }
        } else {
            guard packedNIR(F.individualNIR) == (0, 0) else { throw fail(.nonCanonical, F.individualNIR, "individual NIR") }
        }
        guard let birthDate = BirthDate(yyyymmdd: u32(F.birthDate)) else { throw fail(.invalidValue, F.birthDate, "birth date") }
        var rights: RightsPeriod?
        if presence & FSEWire.hasRights != 0 {
            let startDate = try date(F.rightsStart, "rights start")
            var endDate: ClaimDate?
            if presence & FSEWire.hasRightsEnd != 0 {
                endDate = try date(F.rightsEnd, "rights end")
            } else {
                try zero32(F.rightsEnd, "rights end")
            }
            rights = RightsPeriod(start: startDate, end: endDate)
        } else {
            try zero32(F.rightsStart, "rights start")
            try zero32(F.rightsEnd, "rights end")
        }
        let beneficiary = Beneficiary(
            nir: nir, individualNIR: individualNIR, birthDate: birthDate, rank: u8(F.rank), quality: u8(F.quality),
            situationCode: u16(F.situationCode),
            identification: options & FSEWire.withoutCard != 0 ? .attestationWithoutCard : .vitaleCard,
            rights: rights
        )
        let amo = AMOOrganism(
            regime: u8(F.amoRegime), fund: u16(F.amoFund), centre: u16(F.amoCentre),
            computingCentre: u16(F.amoComputingCentre)
        )
        var amc: AMCOrganism?
        if presence & FSEWire.hasAMC != 0 {
            let organism = AMCOrganism(number: u64(F.amcNumber))
            guard organism.isWellFormed else { throw fail(.invalidValue, F.amcNumber, "AMC number") }
            amc = organism
        } else {
            guard u64(F.amcNumber) == 0 else { throw fail(.nonCanonical, F.amcNumber, "AMC number") }
        }
        guard let nature = InsuranceNature(rawValue: u16(F.insuranceNature)) else {
            throw fail(.invalidValue, F.insuranceNature, "insurance nature")
        }
        guard let parcours = ParcoursDeSoins(rawValue: u8(F.parcours)) else { throw fail(.invalidValue, F.parcours, "parcours") }
        guard let exoneration = Exoneration(rawValue: u8(F.exoneration)) else {
            throw fail(.invalidValue, F.exoneration, "exoneration")
        }
        var tiersPayant: TiersPayant = []
        if options & FSEWire.tiersPayantAMO != 0 { tiersPayant.insert(.amo) }
        if options & FSEWire.tiersPayantAMC != 0 { tiersPayant.insert(.amc) }

        var totals = ClaimTotals()
        totals.total = u32(F.total)
        totals.base = u32(F.base)
        totals.amo = u32(F.amo)
        totals.amc = u32(F.amc)
        totals.patient = u32(F.patient)
        totals.participationForfaitaire = u32(F.participationForfaitaire)
        totals.amoRate = u8(F.amoRate)
        guard totals.amoRate <= 100 else { throw fail(.invalidValue, F.amoRate, "AMO rate") }

        var acts: [Act] = []
        acts.reserveCapacity(actCount)
        var sumTotal: UInt64 = 0, sumBase: UInt64 = 0, sumAMO: UInt64 = 0, sumAMC: UInt64 = 0, sumPatient: UInt64 = 0
        var o = FSEWire.headerSize
        for _ in 0..<actCount {
            guard let kind = ActKind(rawValue: u8(o + A.kind)) else { throw fail(.invalidValue, o + A.kind, "act kind") }
            guard let code = ActCode(packed: u64(o + A.code)) else { throw fail(.invalidValue, o + A.code, "act code") }
            let majorationCount = Int(u8(o + A.majorationCount))
            guard majorationCount <= Majorations.capacity else {
                throw fail(.invalidValue, o + A.majorationCount, "majoration count")
            }
            var majorations = Majorations()
            for slot in 0..<Majorations.capacity {
                let at = o + A.majoration(slot)
                let packed = u64(at)
                if slot < majorationCount {
                    guard let m = ActCode(packed: packed) else { throw fail(.invalidValue, at, "majoration code") }
                    majorations.append(m)
                } else {
                    guard packed == 0 else { throw fail(.nonCanonical, at, "majoration code") }
                }
            }
            var amounts = ActAmounts()
            amounts.base = u32(o + A.base)
            let overcharge = u32(o + A.overcharge)
            amounts.total = u32(o + A.total)
            amounts.amo = u32(o + A.amo)
            amounts.amc = u32(o + A.amc)
            amounts.patient = u32(o + A.patient)
            guard UInt64(amounts.base) + UInt64(overcharge) == UInt64(amounts.total),
                  UInt64(amounts.amo) + UInt64(amounts.amc) + UInt64(amounts.patient) == UInt64(amounts.total)
            else { throw fail(.inconsistentAmounts, o + A.base, "act amounts") }
            acts.append(Act(
                kind: kind, code: code, coefficient: u16(o + A.coefficient), activity: u8(o + A.activity),
                phase: u8(o + A.phase), date: try date(o + A.date, "act date"), quantity: u8(o + A.quantity),
                majorations: majorations, overcharge: overcharge, amounts: amounts
            ))
            sumTotal += UInt64(amounts.total); sumBase += UInt64(amounts.base); sumAMO += UInt64(amounts.amo)
            sumAMC += UInt64(amounts.amc); sumPatient += UInt64(amounts.patient)
            o += FSEWire.actSize
        }
        let pf = UInt64(totals.participationForfaitaire)
        guard sumTotal == UInt64(totals.total), sumBase == UInt64(totals.base), sumAMC == UInt64(totals.amc),
              sumAMO == UInt64(totals.amo) + pf, sumPatient + pf == UInt64(totals.patient)
        else { throw fail(.inconsistentAmounts, F.total, "totals") }

        let fse = FSE(
            invoiceNumber: invoiceNumber, invoiceDate: invoiceDate, operation: operation, correctedInvoice: corrected,
            practitioner: practitioner, beneficiary: beneficiary, amo: amo, amc: amc, insuranceNature: nature,
            parcours: parcours, exoneration: exoneration, tiersPayant: tiersPayant, acts: acts, totals: totals
        )
        return (fse, length)
    }
}
