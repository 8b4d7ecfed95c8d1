import RevmuxJSON
import RevmuxTensors

/// A checkpoint split over several safetensors files by a `model.safetensors.index.json`.
///
/// Opening validates every shard in full (as `SafetensorsFile` does), checks that each
/// tensor of the weight map is in the shard it names, and that no tensor is in two shards.
public struct ShardedSafetensors: Sendable {
    public let indexPath: String
    /// Shards in the order the weight map first names them.
    public let shards: [SafetensorsFile]
    /// Tensor name to shard position in `shards`.
    public let shardOfTensor: [String: Int]

    public init(indexPath: String) throws(ShardedSafetensorsError) {
        self.indexPath = indexPath
        let document: JSONDocument
        do {
            document = try readJSONFile(indexPath)
        } catch {
            switch error {
            case .io(let error): throw .io(error)
            case .format(let error): throw .index(FormatError(path: indexPath, problem: .notJSON(error.problem)))
            }
        }
        func fail(_ problem: ShardIndexProblem) -> ShardedSafetensorsError {
            .index(FormatError(path: indexPath, problem: problem))
        }
        guard document.root.isObject else { throw fail(.notObject) }
        guard let weightMap = document.root["weight_map"]?.entries else { throw fail(.noWeightMap) }

        let folder = parentFolder(of: indexPath)
        var shardNames: [String] = []
        var positionOfShard: [String: Int] = [:]
        var mapped: [String: Int] = [:]
        for (tensor, value) in weightMap {
            guard let shard = value.string else { throw fail(.shardNotString(tensor: tensor)) }
            // The index must not send us outside its own folder.
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw fail(.unsafeShardName(shard))
            }
            if positionOfShard[shard] == nil {
                positionOfShard[shard] = shardNames.count
                shardNames.append(shard)
            }
            mapped[tensor] = positionOfShard[shard]
        }

        var shards: [SafetensorsFile] = []
        var foundIn: [String: Int] = [:]
        for (position, name) in shardNames.enumerated() {
            let shard: SafetensorsFile
            do {
                shard = try SafetensorsFile(path: folder + name)
            } catch {
                throw .shard(error)
            }
            for entry in shard.tensors {
                if let other = foundIn.updateValue(position, forKey: entry.name) {
                    throw fail(.tensorInTwoShards(tensor: entry.name, first: shardNames[other], second: name))
                }
                guard let expected = mapped[entry.name] else {
                    throw fail(.unmappedTensor(tensor: entry.name, shard: name))
                }
                guard expected == position else {
                    throw fail(.tensorInWrongShard(tensor: entry.name, mapped: shardNames[expected], found: name))
                }
            }
            shards.append(shard)
        }
        for (tensor, position) in mapped where foundIn[tensor] == nil {
            throw fail(.missingTensor(tensor: tensor, shard: shardNames[position]))
        }
        self.shards = shards
        self.shardOfTensor = mapped
    }

    /// Every tensor with the shard that holds it, shard by shard in file order.
    public var tensors: [(shard: SafetensorsFile, entry: TensorEntry)] {
        shards.flatMap { shard in shard.tensors.map { (shard, $0) } }
    }

    public func tensor(named name: String) -> TensorView? {
        shardOfTensor[name].flatMap { shards[$0].tensor(named: name) }
    }
}

func parentFolder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[...slash])
}

public enum ShardIndexProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON(JSONError)
    case notObject
    case noWeightMap
    case shardNotString(tensor: String)
    case unsafeShardName(String)
    case tensorInTwoShards(tensor: String, first: String, second: String)
    case unmappedTensor(tensor: String, shard: String)
    case tensorInWrongShard(tensor: String, mapped: String, found: String)
    case missingTensor(tensor: String, shard: String)

    public var description: String {
        switch self {
        case .notJSON(let error): "not valid JSON: \(error)"
        case .notObject: "a sharded-checkpoint index must be a JSON object"
        case .noWeightMap: "no \"weight_map\" object mapping tensor names to shard files"
        case .shardNotString(let tensor): "weight_map entry \"\(tensor)\" must name a shard file"
        case .unsafeShardName(let name): "shard name \"\(name)\" must be a plain file name in the index's folder"
        case .tensorInTwoShards(let tensor, let first, let second): "tensor \"\(tensor)\" is in both \(first) and \(second)"
        case .unmappedTensor(let tensor, let shard): "\(shard) holds tensor \"\(tensor)\", which the weight_map does not list"
        case .tensorInWrongShard(let tensor, let mapped, let found):
            "weight_map puts \"\(tensor)\" in \(mapped), but it is in \(found)"
        case .missingTensor(let tensor, let shard): "weight_map puts \"\(tensor)\" in \(shard), which does not hold it"
        }
    }
}

public enum ShardedSafetensorsError: Error, CustomStringConvertible, Sendable {
    case io(FileError)
    case index(FormatError<ShardIndexProblem>)
    case shard(OpenError<SafetensorsProblem>)

    public var description: String {
        switch self {
        case .io(let error): error.description
        case .index(let error): error.description
        case .shard(let error): error.description
        }
    }
}
