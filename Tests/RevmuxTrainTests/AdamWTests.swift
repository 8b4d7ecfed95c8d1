import Foundation
import RevmuxCompute
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// AdamW against torch.optim.AdamW's own steps (Tests/Fixtures/make_train_references.py).
final class AdamWTests: XCTestCase {
    struct Reference: Decodable {
        struct Snapshot: Decodable { let weight: [Float]; let bias: [Float] }
        let lr: Float
        let steps: [String: Snapshot]
    }

    func testMatchesTorch() throws {
        let data = try Data(contentsOf: Repository.fixture("reference/train-adamw.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        var v = Values(seed: 3)
        let layer = TrainableLinear(name: "t", weight: v.matrix(3, 4, 1), bias: v.matrix(1, 3, 1))
        let optimizer = AdamW(parameters: layer.parameters, learningRate: reference.lr)
        var worst: Float = 0
        for step in 1...5 {
            let gw = v.matrix(3, 4, 1), gb = v.matrix(1, 3, 1)
            layer.weight.grad.base.update(from: gw.base, count: 12)
            layer.bias.grad.base.update(from: gb.base, count: 3)
            optimizer.update()
            guard let expected = reference.steps[String(step)] else { continue }
            for (a, b) in zip(layer.weight.value.toArray() + layer.bias.value.toArray(), expected.weight + expected.bias) {
                worst = max(worst, abs(a - b))
            }
        }
        XCTAssertLessThan(worst, 2e-6)
        print("AdamW vs torch: max abs difference \(worst) after 5 steps")
    }
}
