/// Added by the transmission work: lets a caller that numbers its own lots (the outbox, which allocates a
/// lot's number in the same transaction that stores it) build a header for ``LotEncoder``.
extension LotHeader {
    /// A header for a lot of `count` FSEs to `destination`, signed by `signer` (its test flag and key
    /// fingerprint are taken from it).
    public init(
        sender: BillingNumber, lotNumber: UInt32, creationDate: ClaimDate, creationTime: UInt32,
        destination: DestinationOrganism, count: Int, signer: SignerIdentity
    ) {
        self.sender = sender
        self.lotNumber = lotNumber
        self.creationDate = creationDate
        self.creationTime = creationTime
        self.destination = destination
        self.count = count
        self.isTest = signer.isTestCard
        self.signerFingerprint = signer.publicKey.fingerprint
    }
}
