import ISO7816

/// One file of an emulated card's file tree: a DF (dedicated file, the MF or an application) or an EF
/// (elementary file, transparent or with records).
public struct CardFile: Sendable, Hashable {
    /// What the file holds.
    public enum Body: Sendable, Hashable {
        /// A dedicated file (folder); its children are in ``CardFileSystem``.
        case dedicated
        /// A transparent EF read with READ BINARY.
        case transparent([UInt8])
        /// A linear fixed EF read with READ RECORD, every record padded to `recordLength`.
        case records(recordLength: Int, [[UInt8]])
    }

    /// The file identifier (FID), such as `3F00` or `D001`.
    public var fid: UInt16?
    /// The DF name (application identifier, AID) of a DF.
    public var name: [UInt8]?
    /// The short file identifier (SFI, 1-30) of an EF.
    public var sfi: UInt8?
    public var body: Body

    public init(fid: UInt16? = nil, name: [UInt8]? = nil, sfi: UInt8? = nil, body: Body) {
        self.fid = fid
        self.name = name
        self.sfi = sfi
        self.body = body
    }

    /// True for DFs.
    public var isDedicated: Bool { if case .dedicated = body { return true } else { return false } }
}

/// The file tree of an emulated card: the MF at index 0, every other file with its parent.
public struct CardFileSystem: Sendable, Hashable {
    struct Node: Sendable, Hashable {
        var file: CardFile
        var parent: Int?
        var children: [Int]
    }

    private(set) var nodes: [Node]

    /// A tree holding only the MF (`3F00`, with `name` as its DF name if given).
    public init(mfName: [UInt8]? = nil) {
        nodes = [Node(file: CardFile(fid: 0x3F00, name: mfName, body: .dedicated), parent: nil, children: [])]
    }

    /// The index of the MF.
    public static let masterFile = 0

    /// Adds `file` under the DF at `parent` and returns its index.
    @discardableResult
    public mutating func add(_ file: CardFile, under parent: Int = CardFileSystem.masterFile) -> Int {
        precondition(nodes[parent].file.isDedicated, "files are added under a DF")
        nodes.append(Node(file: file, parent: parent, children: []))
        let index = nodes.count - 1
        nodes[parent].children.append(index)
        return index
    }


    func file(_ index: Int) -> CardFile { nodes[index].file }
    func parent(of index: Int) -> Int? { nodes[index].parent }
    func children(of index: Int) -> [Int] { nodes[index].children }

    /// The child of `df` with identifier `fid`.
    func child(of df: Int, fid: UInt16) -> Int? {
        nodes[df].children.first { nodes[$0].file.fid == fid }
    }

    /// The EF of `df` with short identifier `sfi`.
    func child(of df: Int, sfi: UInt8) -> Int? {
        nodes[df].children.first { nodes[$0].file.sfi == sfi && !nodes[$0].file.isDedicated }
    }

    /// The DF whose name is exactly `name`.
    func dedicatedFile(named name: ArraySlice<UInt8>) -> Int? {
        nodes.indices.first { nodes[$0].file.isDedicated && nodes[$0].file.name.map { $0[...] == name } == true }
    }

    /// Select by FID (P1 `00`): the MF, a child of the current DF, the current DF's parent, or a DF sibling.
    func resolve(fid: UInt16, from current: Int) -> Int? {
        if fid == 0x3F00 { return CardFileSystem.masterFile }
        if nodes[current].file.fid == fid { return current }
        if let found = child(of: current, fid: fid) { return found }
        if let parent = nodes[current].parent {
            if nodes[parent].file.fid == fid { return parent }
            if let sibling = child(of: parent, fid: fid), nodes[sibling].file.isDedicated { return sibling }
        }
        return nil
    }
}
