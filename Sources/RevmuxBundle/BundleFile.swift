import CZlib
import RevmuxFormats
import RevmuxJSON
import RevmuxTensors

/// An opened `.revmux` bundle: mapped, header and manifest validated, no tensor data read.
public struct BundleFile: Sendable {
    public let file: MappedFile
    public let header: BundleHeader
    public let manifest: BundleManifest
    /// The task chosen with `selecting(task:)`, nil before.
    public let task: RevmuxSection?
    private let index: [String: Int]
    /// Tensors that answer in place of the bundle's own under the same name.
    private let overrides: [String: TensorView]

    public init(path: String) throws(OpenError<BundleProblem>) {
        let opened = try openMapped(path) { (bytes) throws(BundleProblem) in try BundleFile.validate(bytes) }
        file = opened.0
        (header, manifest) = opened.1
        task = nil
        index = Dictionary(uniqueKeysWithValues: manifest.tensors.enumerated().map { ($1.name, $0) })
        overrides = [:]
    }

    private init(_ base: BundleFile, task: RevmuxSection?, overrides: [String: TensorView]) {
        file = base.file
        header = base.header
        manifest = base.manifest
        index = base.index
        self.task = task
        self.overrides = overrides
    }

    /// The same bundle seen through one task: that task's tensors also answer to their
    /// canonical names (`task.sst.revmux.down.weight` as `revmux.down.weight`), taking the
    /// place of a backbone tensor of the same name, which is how a task carries its own
    /// tuned layers. `name` may be nil when the bundle has exactly one task.
    public func selecting(task name: String?) throws(TaskChoiceError) -> BundleFile {
        let names = manifest.tasks.map(\.name)
        let chosen: RevmuxSection
        switch (name, manifest.tasks.count) {
        case (nil, 0): throw .noTasks
        case (nil, 1): chosen = manifest.tasks[0]
        case (nil, _): throw .ambiguous(names)
        case (let name?, _):
            guard let found = manifest.tasks.first(where: { $0.name == name }) else { throw .unknown(name, names) }
            chosen = found
        }
        var overrides = overrides
        for tensor in manifest.tensors where tensor.name.hasPrefix(chosen.tensorPrefix) {
            overrides[String(tensor.name.dropFirst(chosen.tensorPrefix.count))] = file.tensor(entry(tensor))
        }
        return BundleFile(self, task: chosen, overrides: overrides)
    }

    /// The same bundle with `tensors` answering in place of its own of the same names: a
    /// task-tuned teacher (tuned layers and pooler from `revmux train head`) over this backbone.
    public func overlaying(_ tensors: [TensorView]) -> BundleFile {
        BundleFile(self, task: task, overrides: overrides.merging(tensors.map { ($0.name, $0) }) { _, new in new })
    }

    /// Every check that costs nothing per byte of tensor data.
    public static func validate(_ bytes: UnsafeRawBufferPointer) throws(BundleProblem) -> (BundleHeader, BundleManifest) {
        let header = try BundleHeader(parsing: bytes)
        let stored = UnsafeRawBufferPointer(rebasing: bytes[header.manifestOffset..<(header.manifestOffset + header.manifestStoredLength)])
        guard crc32(stored) == header.manifestCRC else { throw .manifestChecksum }
        let text = header.manifestCompressed ? try inflate(stored, length: header.manifestLength) : Array(stored)
        let document: JSONDocument
        do {
            document = try text.withBytes { (raw) throws(JSONError) in try JSONDocument(parsing: raw) }
        } catch {
            throw .manifestNotJSON(error)
        }
        let manifest = try BundleManifest(json: document.root)
        try checkPlacement(manifest, dataLength: header.dataLength)
        return (header, manifest)
    }

    /// Each tensor and blob: aligned, sized as its type and shape need, inside the data, no overlaps.
    private static func checkPlacement(_ manifest: BundleManifest, dataLength: Int) throws(BundleProblem) {
        var regions: [(name: String, range: Range<Int>)] = []
        var names = Set<String>()
        for tensor in manifest.tensors {
            guard names.insert(tensor.name).inserted else { throw .tensor(name: tensor.name, reason: "appears twice") }
            guard let count = elementCount(of: tensor.shape), let needed = tensor.type.byteCount(elements: count) else {
                throw .tensor(name: tensor.name, reason: "shape \(tensor.shape) does not fit \(tensor.type) or overflows")
            }
            guard needed == tensor.length else {
                throw .tensor(name: tensor.name, reason: "length \(tensor.length) but \(tensor.type) \(tensor.shape) needs \(needed)")
            }
            regions.append((tensor.name, try place(tensor.name, offset: tensor.offset, length: tensor.length, dataLength: dataLength)))
        }
        if let blob = manifest.tokenizer?.blob {
            regions.append(("tokenizer", try place("tokenizer", offset: blob.offset, length: blob.storedLength, dataLength: dataLength)))
        }
        for task in manifest.tasks {
            for name in task.adapterTensors where !names.contains(name) {
                throw .manifest("task \"\(task.name)\" lists tensor \"\(name)\", which is not in tensors")
            }
        }
        regions.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (previous, next) in zip(regions, regions.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw .overlap(previous.name, next.name)
        }
    }

    private static func place(_ name: String, offset: Int, length: Int, dataLength: Int) throws(BundleProblem) -> Range<Int> {
        guard offset % BundleHeader.alignment == 0 else { throw .tensor(name: name, reason: "offset \(offset) is not 64-byte aligned") }
        guard offset <= dataLength, length <= dataLength - offset else {
            throw .tensor(name: name, reason: "bytes \(offset)..<\(offset &+ length) lie past the \(dataLength)-byte data section")
        }
        return offset..<(offset + length)
    }

    public var path: String { file.path }

    /// The entry of a tensor, with its absolute place in the file.
    public func entry(_ tensor: BundleTensor) -> TensorEntry {
        let start = header.dataOffset + tensor.offset
        return TensorEntry(name: tensor.name, type: tensor.type, shape: tensor.shape, byteRange: start..<(start + tensor.length))
    }

    public func tensor(named name: String) -> TensorView? {
        overrides[name] ?? index[name].map { file.tensor(entry(manifest.tensors[$0])) }
    }

    /// The tokenizer's bytes (decompressed), checked against their CRC.
    public func tokenizerBytes() throws(BundleProblem) -> [UInt8]? {
        guard let blob = manifest.tokenizer?.blob else { return nil }
        let start = header.dataOffset + blob.offset
        let stored = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + blob.storedLength)])
        guard crc32(stored) == blob.crc32 else { throw .blobChecksum("tokenizer") }
        return blob.compressed ? try BundleFile.inflate(stored, length: blob.length) : Array(stored)
    }

    /// Checks every CRC, tensors in file order; throws for the first corrupt one.
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) throws(BundleProblem) {
        for (index, tensor) in manifest.tensors.sorted(by: { $0.offset < $1.offset }).enumerated() {
            let range = entry(tensor).byteRange
            guard crc32(UnsafeRawBufferPointer(rebasing: file.bytes[range])) == tensor.crc32 else {
                throw .tensorChecksum(name: tensor.name)
            }
            progress(index + 1, manifest.tensors.count)
        }
        _ = try tokenizerBytes()
    }

    /// zlib-inflates to exactly `length` bytes. zlib expands at most about 1032:1, so a
    /// declared length beyond that is refused before anything is allocated for it.
    public static func inflate(_ source: UnsafeRawBufferPointer, length: Int) throws(BundleProblem) -> [UInt8] {
        guard length <= source.count * 1032 + 64 else { throw .manifestInflate("declared size \(length) is impossible for \(source.count) compressed bytes") }
        var output = [UInt8](repeating: 0, count: length)
        var produced = UInt(length)
        let status = output.withUnsafeMutableBytes { target in
            uncompress(target.baseAddress?.assumingMemoryBound(to: Bytef.self), &produced,
                       source.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt(source.count))
        }
        guard status == Z_OK, produced == UInt(length) else {
            throw .manifestInflate(status == Z_OK ? "size \(produced), expected \(length)" : "zlib error \(status)")
        }
        return output
    }
}
