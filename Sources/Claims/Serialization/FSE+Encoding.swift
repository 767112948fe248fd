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
        buffer.appendWire(count: size) { w in
            w.u32(0, FSEWire.magic)
            w.u16(4, UInt16(size))
            var presence: UInt8 = 0
            if correctedInvoice != nil { presence |= FSEWire.hasCorrected }
            if amc != nil { presence |= FSEWire.hasAMC }
            if beneficiary.individualNIR != nil { presence |= FSEWire.hasIndividualNIR }
            if let rights = beneficiary.rights {
                presence |= FSEWire.hasRights
                if rights.end != nil { presence |= FSEWire.hasRightsEnd }
            }
            w.u8(6, presence)
            var options: UInt8 = 0
            if beneficiary.identification == .attestationWithoutCard { options |= FSEWire.withoutCard }
            if tiersPayant.contains(.amo) { options |= FSEWire.tiersPayantAMO }
            if tiersPayant.contains(.amc) { options |= FSEWire.tiersPayantAMC }
            if practitioner.maySignInvoice { options |= FSEWire.maySignInvoice }
            if practitioner.maySignLot { options |= FSEWire.maySignLot }
            w.u8(7, options)
            w.u32(8, invoiceNumber)
            w.u32(12, invoiceDate.yyyymmdd)
            w.u8(16, operation.rawValue)
            if let corrected = correctedInvoice {
                w.u32(17, corrected.number)
                w.u32(21, corrected.date.yyyymmdd)
            }
            w.u32(25, practitioner.billingNumber.value)
            w.u8(29, practitioner.situationNumber)
            w.u8(30, practitioner.practiceMode)
            w.u8(31, practitioner.conventionCode)
            w.u8(32, practitioner.specialty)
            w.u8(33, practitioner.tariffZone)
            w.u8(34, practitioner.ikZone)
            // NIRs: 15 ASCII bytes each; the 16th byte of each packed pair is zero and is overwritten by the
            // next field, so the order of these writes matters.
            let nir = beneficiary.nir.revealedPackedASCII
            w.u64(35, nir.0)
            w.u64(43, nir.1)
            if let individual = beneficiary.individualNIR?.revealedPackedASCII {
                w.u64(50, individual.0)
                w.u64(58, individual.1)
            }
            w.u32(65, beneficiary.birthDate.yyyymmdd)
            w.u8(69, beneficiary.rank)
            w.u8(70, beneficiary.quality)
            w.u16(71, beneficiary.situationCode)
            if let rights = beneficiary.rights {
                w.u32(73, rights.start.yyyymmdd)
                if let end = rights.end { w.u32(77, end.yyyymmdd) }
            }
            w.u8(81, amo.regime)
            w.u16(82, amo.fund)
            w.u16(84, amo.centre)
            w.u16(86, amo.computingCentre)
            if let amc { w.u64(88, amc.number) }
            w.u16(96, insuranceNature.rawValue)
            w.u8(98, parcours.rawValue)
            w.u8(99, exoneration.rawValue)
            w.u32(100, totals.total)
            w.u32(104, totals.base)
            w.u32(108, totals.amo)
            w.u32(112, totals.amc)
            w.u32(116, totals.patient)
            w.u32(120, totals.participationForfaitaire)
            w.u8(124, totals.amoRate)
            w.u8(125, UInt8(actCount))
            var offset = FSEWire.headerSize
            for act in acts {
                w.u8(offset, act.kind.rawValue)
                w.u64(offset + 1, act.code.packed)
                w.u16(offset + 9, act.coefficient)
                w.u8(offset + 11, act.activity)
                w.u8(offset + 12, act.phase)
                w.u8(offset + 13, act.quantity)
                w.u8(offset + 14, UInt8(act.majorations.count))
                w.u32(offset + 15, act.date.yyyymmdd)
                w.u64(offset + 19, act.majorations.packedSlot(0))
                w.u64(offset + 27, act.majorations.packedSlot(1))
                w.u64(offset + 35, act.majorations.packedSlot(2))
                w.u64(offset + 43, act.majorations.packedSlot(3))
                w.u32(offset + 51, act.amounts.base)
                w.u32(offset + 55, act.overcharge)
                w.u32(offset + 59, act.amounts.total)
                w.u32(offset + 63, act.amounts.amo)
                w.u32(offset + 67, act.amounts.amc)
                w.u32(offset + 71, act.amounts.patient)
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
