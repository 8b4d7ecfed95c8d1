import RevmuxCompute
import RevmuxModels
import RevmuxTrain
import XCTest

/// The frozen cache holds exactly what the backbone gave, for every row of every batch.
final class FrozenStatesTests: XCTestCase {
    /// A backbone whose states are each token's id in every column, and whose teacher states
    /// are a fresh matrix per batch, as BERT's [CLS] copies are.
    struct IdBackbone: FrozenBackbone {
        let hiddenSize = 64
        let layerCount = 2

        func embed(_ batch: TokenBatch) throws(ModelError) -> Matrix {
            let states = Matrix(rows: batch.count * batch.length, cols: hiddenSize)
            for (r, id) in batch.ids.enumerated() { states.row(r).update(repeating: Float(id), count: hiddenSize) }
            return states
        }

        func runLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape) {}

        func teacherStates(_ hidden: Matrix, _ batch: TokenBatch) -> Matrix {
            let states = Matrix(rows: batch.count, cols: hiddenSize)
            for b in 0..<batch.count { states.row(b).update(from: hidden.row(b * batch.length), count: hiddenSize) }
            return states
        }
    }

    // The teacher's temporary matrix was freed as soon as its pointer was read, before the
    // copy: the first row of each batch then held the allocator's free-list pointers.
    func testTeacherStatesAreCopiedWhole() throws {
        let sequences = (0..<70).map { q in (ids: [Int32(q + 1), 7, 7], typeIds: [Int32](repeating: 0, count: 3)) }
        let states = try FrozenStates(model: IdBackbone(), sequences: sequences, prefillLayers: nil, batch: 32) { _ in }
        XCTAssertEqual(states.count, sequences.count)
        for q in 0..<sequences.count {
            XCTAssertEqual(states.teacher.rowArray(q), [Float](repeating: Float(q + 1), count: 64), "query \(q)")
        }
    }
}
