import Vitale

extension FSE {
    /// The size of this FSE's record in bytes.
    @inlinable
    public var encodedByteCount: Int { FSEWire.size(acts: acts.count) }

    /// Appends this FSE's record (format 1, `docs/fse-format.md`) to `buffer`. Allocates nothing when
    /// `buffer` has the capacity (reuse one buffer: `buffer.removeAll(keepingCapacity: true)`).
    @inlinable
    public func encode(into buffer: inout [UInt8]) throws(FSEEncodingError) {
        let actCount = acts.count
        guard actCount >= 1, actCount <= FSE.maximumActs else { throw .actCount(actCount) }
        let size = FSEWire.size(acts: actCount)
        typealias F = FSEWire.Field
        typealias A = FSEWire.Act
        buffer.appendWire(count: size) { w in
            w.u32(F.magic, FSEWire.magic)
            w.u16(F.recordLength, UInt16(size))
            var presence: UInt8 = 0
            if correctedInvoice != nil { presence |= FSEWire.hasCorrected }
            if amc != nil { presence |= FSEWire.hasAMC }
            if beneficiary.individualNIR != nil { presence |= FSEWire.hasIndividualNIR }
            if let rights = beneficiary.rights {
                presence |= FSEWire.hasRights
                if rights.end != nil { presence |= FSEWire.hasRightsEnd }
            }
            w.u8(F.presence, presence)
            var options: UInt8 = 0
            if beneficiary.identification == .attestationWithoutCard { options |= FSEWire.withoutCard }
            if tiersPayant.contains(.amo) { options |= FSEWire.tiersPayantAMO }
            if tiersPayant.contains(.amc) { options |= FSEWire.tiersPayantAMC }
            if practitioner.maySignInvoice { options |= FSEWire.maySignInvoice }
            if practitioner.maySignLot { options |= FSEWire.maySignLot }
            w.u8(F.options, options)
            w.u32(F.invoiceNumber, invoiceNumber)
            w.u32(F.invoiceDate, invoiceDate.yyyymmdd)
            w.u8(F.operation, operation.rawValue)
            if let corrected = correctedInvoice {
                w.u32(F.correctedNumber, corrected.number)
                w.u32(F.correctedDate, corrected.date.yyyymmdd)
            }
            w.u32(F.billingNumber, practitioner.billingNumber.value)
            w.u8(F.situationNumber, practitioner.situationNumber)
            w.u8(F.practiceMode, practitioner.practiceMode)
            w.u8(F.conventionCode, practitioner.conventionCode)
            w.u8(F.specialty, practitioner.specialty)
            w.u8(F.tariffZone, practitioner.tariffZone)
            w.u8(F.ikZone, practitioner.ikZone)
            // NIRs: 15 ASCII bytes each, written as two u64 (the second 8 bytes after the first); the 16th byte
            // of each packed pair is zero and is overwritten by the next field, so the order of these writes
            // matters.
            let nir = beneficiary.nir.revealedPackedASCII
            w.u64(F.nir, nir.0)
            w.u64(F.nir + FSEWire.nirSecondWord, nir.1)
            if let individual = beneficiary.individualNIR?.revealedPackedASCII {
                w.u64(F.individualNIR, individual.0)
                w.u64(F.individualNIR + FSEWire.nirSecondWord, individual.1)
            }
            w.u32(F.birthDate, beneficiary.birthDate.yyyymmdd)
            w.u8(F.rank, beneficiary.rank)
            w.u8(F.quality, beneficiary.quality)
            w.u16(F.situationCode, beneficiary.situationCode)
            if let rights = beneficiary.rights {
                w.u32(F.rightsStart, rights.start.yyyymmdd)
                if let end = rights.end { w.u32(F.rightsEnd, end.yyyymmdd) }
            }
            w.u8(F.amoRegime, amo.regime)
            w.u16(F.amoFund, amo.fund)
            w.u16(F.amoCentre, amo.centre)
            w.u16(F.amoComputingCentre, amo.computingCentre)
            if let amc { w.u64(F.amcNumber, amc.number) }
            w.u16(F.insuranceNature, insuranceNature.rawValue)
            w.u8(F.parcours, parcours.rawValue)
            w.u8(F.exoneration, exoneration.rawValue)
            w.u32(F.total, totals.total)
            w.u32(F.base, totals.base)
            w.u32(F.amo, totals.amo)
            w.u32(F.amc, totals.amc)
            w.u32(F.patient, totals.patient)
            w.u32(F.participationForfaitaire, totals.participationForfaitaire)
            w.u8(F.amoRate, totals.amoRate)
            w.u8(F.actCount, UInt8(actCount))
            var offset = FSEWire.headerSize
            for act in acts {
                w.u8(offset + A.kind, act.kind.rawValue)
                w.u64(offset + A.code, act.code.packed)
                w.u16(offset + A.coefficient, act.coefficient)
                w.u8(offset + A.activity, act.activity)
                w.u8(offset + A.phase, act.phase)
                w.u8(offset + A.quantity, act.quantity)
                w.u8(offset + A.majorationCount, UInt8(act.majorations.count))
                w.u32(offset + A.date, act.date.yyyymmdd)
                w.u64(offset + A.majoration(0), act.majorations.packedSlot(0))
                w.u64(offset + A.majoration(1), act.majorations.packedSlot(1))
                w.u64(offset + A.majoration(2), act.majorations.packedSlot(2))
                w.u64(offset + A.majoration(3), act.majorations.packedSlot(3))
                w.u32(offset + A.base, act.amounts.base)
                w.u32(offset + A.overcharge, act.overcharge)
                w.u32(offset + A.total, act.amounts.total)
                w.u32(offset + A.amo, act.amounts.amo)
                w.u32(offset + A.amc, act.amounts.amc)
                w.u32(offset + A.patient, act.amounts.patient)
                offset += FSEWire.actSize
            }
        }
    }

    /// This FSE's record as a new array.
    public func encoded() throws(FSEEncodingError) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(encodedByteCount)
        try encode(into: &buffer)
        return buffer
    }
}
