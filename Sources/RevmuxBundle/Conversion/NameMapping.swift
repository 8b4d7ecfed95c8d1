/// Source tensor names to the bundle's canonical names (schemas/bundle.md), per source layout.
public struct NameMapping: Sendable {
    /// Patterns with `{N}` standing for a layer number.
    let rules: [(source: String, canonical: String)]
    /// Tensors that are not weights (buffers saved alongside), dropped on conversion.
    let ignored: Set<String>

    /// The canonical name, nil for an ignored tensor; throws for a tensor we do not know,
    /// so that a model we cannot run is never converted silently incomplete.
    public func canonical(_ name: String) throws(ConvertError) -> String? {
        if ignored.contains(name) { return nil }
        for (source, canonical) in rules {
            if let layer = Self.match(name, source) {
                return canonical.replacingOccurrences(of: "{N}", with: layer)
            }
        }
        throw .unknownTensor(name)
    }

    /// The layer number `name` has where `pattern` has `{N}`, or "" for a pattern without one.
    private static func match(_ name: String, _ pattern: String) -> String? {
        guard let marker = pattern.range(of: "{N}") else { return name == pattern ? "" : nil }
        let prefix = pattern[..<marker.lowerBound], suffix = pattern[marker.upperBound...]
        guard name.count > prefix.count + suffix.count, name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        return digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber) ? String(digits) : nil
    }

    public static let bert = NameMapping(rules: [
        ("embeddings.word_embeddings.weight", "embed.tokens"),
        ("embeddings.position_embeddings.weight", "embed.positions"),
        ("embeddings.token_type_embeddings.weight", "embed.token_types"),
        ("embeddings.LayerNorm.weight", "embed.norm.weight"),
        ("embeddings.LayerNorm.bias", "embed.norm.bias"),
        ("encoder.layer.{N}.attention.self.query.weight", "layers.{N}.attn.q.weight"),
        ("encoder.layer.{N}.attention.self.query.bias", "layers.{N}.attn.q.bias"),
        ("encoder.layer.{N}.attention.self.key.weight", "layers.{N}.attn.k.weight"),
        ("encoder.layer.{N}.attention.self.key.bias", "layers.{N}.attn.k.bias"),
        ("encoder.layer.{N}.attention.self.value.weight", "layers.{N}.attn.v.weight"),
        ("encoder.layer.{N}.attention.self.value.bias", "layers.{N}.attn.v.bias"),
        ("encoder.layer.{N}.attention.output.dense.weight", "layers.{N}.attn.o.weight"),
        ("encoder.layer.{N}.attention.output.dense.bias", "layers.{N}.attn.o.bias"),
        ("encoder.layer.{N}.attention.output.LayerNorm.weight", "layers.{N}.attn.norm.weight"),
        ("encoder.layer.{N}.attention.output.LayerNorm.bias", "layers.{N}.attn.norm.bias"),
        ("encoder.layer.{N}.intermediate.dense.weight", "layers.{N}.ffn.up.weight"),
        ("encoder.layer.{N}.intermediate.dense.bias", "layers.{N}.ffn.up.bias"),
        ("encoder.layer.{N}.output.dense.weight", "layers.{N}.ffn.down.weight"),
        ("encoder.layer.{N}.output.dense.bias", "layers.{N}.ffn.down.bias"),
        ("encoder.layer.{N}.output.LayerNorm.weight", "layers.{N}.ffn.norm.weight"),
        ("encoder.layer.{N}.output.LayerNorm.bias", "layers.{N}.ffn.norm.bias"),
        ("pooler.dense.weight", "pooler.weight"),
        ("pooler.dense.bias", "pooler.bias"),
    ], ignored: ["embeddings.position_ids"])

    /// BERT in GGUF, named as llama.cpp's converter names it. It drops the pooler, so a
    /// GGUF bundle has none.
    public static let bertGGUF = NameMapping(rules: [
        ("token_embd.weight", "embed.tokens"),
        ("position_embd.weight", "embed.positions"),
        ("token_types.weight", "embed.token_types"),
        ("token_embd_norm.weight", "embed.norm.weight"),
        ("token_embd_norm.bias", "embed.norm.bias"),
        ("blk.{N}.attn_q.weight", "layers.{N}.attn.q.weight"),
        ("blk.{N}.attn_q.bias", "layers.{N}.attn.q.bias"),
        ("blk.{N}.attn_k.weight", "layers.{N}.attn.k.weight"),
        ("blk.{N}.attn_k.bias", "layers.{N}.attn.k.bias"),
        ("blk.{N}.attn_v.weight", "layers.{N}.attn.v.weight"),
        ("blk.{N}.attn_v.bias", "layers.{N}.attn.v.bias"),
        ("blk.{N}.attn_output.weight", "layers.{N}.attn.o.weight"),
        ("blk.{N}.attn_output.bias", "layers.{N}.attn.o.bias"),
        ("blk.{N}.attn_output_norm.weight", "layers.{N}.attn.norm.weight"),
        ("blk.{N}.attn_output_norm.bias", "layers.{N}.attn.norm.bias"),
        ("blk.{N}.ffn_up.weight", "layers.{N}.ffn.up.weight"),
        ("blk.{N}.ffn_up.bias", "layers.{N}.ffn.up.bias"),
        ("blk.{N}.ffn_down.weight", "layers.{N}.ffn.down.weight"),
        ("blk.{N}.ffn_down.bias", "layers.{N}.ffn.down.bias"),
        ("blk.{N}.layer_output_norm.weight", "layers.{N}.ffn.norm.weight"),
        ("blk.{N}.layer_output_norm.bias", "layers.{N}.ffn.norm.bias"),
    ], ignored: [])

    public static let llamaGGUF = NameMapping(rules: [
        ("token_embd.weight", "embed.tokens"),
        ("blk.{N}.attn_q.weight", "layers.{N}.attn.q.weight"),
        ("blk.{N}.attn_k.weight", "layers.{N}.attn.k.weight"),
        ("blk.{N}.attn_v.weight", "layers.{N}.attn.v.weight"),
        ("blk.{N}.attn_output.weight", "layers.{N}.attn.o.weight"),
        ("blk.{N}.attn_norm.weight", "layers.{N}.attn.norm.weight"),
        ("blk.{N}.ffn_gate.weight", "layers.{N}.ffn.gate.weight"),
        ("blk.{N}.ffn_up.weight", "layers.{N}.ffn.up.weight"),
        ("blk.{N}.ffn_down.weight", "layers.{N}.ffn.down.weight"),
        ("blk.{N}.ffn_norm.weight", "layers.{N}.ffn.norm.weight"),
        ("output_norm.weight", "final.norm.weight"),
        ("output.weight", "head.weight"),
    ], ignored: ["rope_freqs.weight"])

    public static let llamaHF = NameMapping(rules: [
        ("model.embed_tokens.weight", "embed.tokens"),
        ("model.layers.{N}.self_attn.q_proj.weight", "layers.{N}.attn.q.weight"),
        ("model.layers.{N}.self_attn.k_proj.weight", "layers.{N}.attn.k.weight"),
        ("model.layers.{N}.self_attn.v_proj.weight", "layers.{N}.attn.v.weight"),
        ("model.layers.{N}.self_attn.o_proj.weight", "layers.{N}.attn.o.weight"),
        ("model.layers.{N}.input_layernorm.weight", "layers.{N}.attn.norm.weight"),
        ("model.layers.{N}.mlp.gate_proj.weight", "layers.{N}.ffn.gate.weight"),
        ("model.layers.{N}.mlp.up_proj.weight", "layers.{N}.ffn.up.weight"),
        ("model.layers.{N}.mlp.down_proj.weight", "layers.{N}.ffn.down.weight"),
        ("model.layers.{N}.post_attention_layernorm.weight", "layers.{N}.ffn.norm.weight"),
        ("model.norm.weight", "final.norm.weight"),
        ("lm_head.weight", "head.weight"),
    ], ignored: [])

    /// T5 (T5ForConditionalGeneration): the relative position bias lives in block 0 of each
    /// stack and serves every layer of it. Gated FFNs (v1.1) have wi_0, activated, and wi_1,
    /// linear: LLaMA's gate and up.
    public static let t5 = NameMapping(rules: [
        ("shared.weight", "embed.tokens"),
        ("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "encoder.position_bias"),
        ("encoder.block.{N}.layer.0.SelfAttention.q.weight", "encoder.layers.{N}.attn.q.weight"),
        ("encoder.block.{N}.layer.0.SelfAttention.k.weight", "encoder.layers.{N}.attn.k.weight"),
        ("encoder.block.{N}.layer.0.SelfAttention.v.weight", "encoder.layers.{N}.attn.v.weight"),
        ("encoder.block.{N}.layer.0.SelfAttention.o.weight", "encoder.layers.{N}.attn.o.weight"),
        ("encoder.block.{N}.layer.0.layer_norm.weight", "encoder.layers.{N}.attn.norm.weight"),
        ("encoder.block.{N}.layer.1.DenseReluDense.wi.weight", "encoder.layers.{N}.ffn.up.weight"),
        ("encoder.block.{N}.layer.1.DenseReluDense.wi_0.weight", "encoder.layers.{N}.ffn.gate.weight"),
        ("encoder.block.{N}.layer.1.DenseReluDense.wi_1.weight", "encoder.layers.{N}.ffn.up.weight"),
        ("encoder.block.{N}.layer.1.DenseReluDense.wo.weight", "encoder.layers.{N}.ffn.down.weight"),
        ("encoder.block.{N}.layer.1.layer_norm.weight", "encoder.layers.{N}.ffn.norm.weight"),
        ("encoder.final_layer_norm.weight", "encoder.final.norm.weight"),
        ("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "decoder.position_bias"),
        ("decoder.block.{N}.layer.0.SelfAttention.q.weight", "decoder.layers.{N}.attn.q.weight"),
        ("decoder.block.{N}.layer.0.SelfAttention.k.weight", "decoder.layers.{N}.attn.k.weight"),
        ("decoder.block.{N}.layer.0.SelfAttention.v.weight", "decoder.layers.{N}.attn.v.weight"),
        ("decoder.block.{N}.layer.0.SelfAttention.o.weight", "decoder.layers.{N}.attn.o.weight"),
        ("decoder.block.{N}.layer.0.layer_norm.weight", "decoder.layers.{N}.attn.norm.weight"),
        ("decoder.block.{N}.layer.1.EncDecAttention.q.weight", "decoder.layers.{N}.cross.q.weight"),
        ("decoder.block.{N}.layer.1.EncDecAttention.k.weight", "decoder.layers.{N}.cross.k.weight"),
        ("decoder.block.{N}.layer.1.EncDecAttention.v.weight", "decoder.layers.{N}.cross.v.weight"),
        ("decoder.block.{N}.layer.1.EncDecAttention.o.weight", "decoder.layers.{N}.cross.o.weight"),
        ("decoder.block.{N}.layer.1.layer_norm.weight", "decoder.layers.{N}.cross.norm.weight"),
        ("decoder.block.{N}.layer.2.DenseReluDense.wi.weight", "decoder.layers.{N}.ffn.up.weight"),
        ("decoder.block.{N}.layer.2.DenseReluDense.wi_0.weight", "decoder.layers.{N}.ffn.gate.weight"),
        ("decoder.block.{N}.layer.2.DenseReluDense.wi_1.weight", "decoder.layers.{N}.ffn.up.weight"),
        ("decoder.block.{N}.layer.2.DenseReluDense.wo.weight", "decoder.layers.{N}.ffn.down.weight"),
        ("decoder.block.{N}.layer.2.layer_norm.weight", "decoder.layers.{N}.ffn.norm.weight"),
        ("decoder.final_layer_norm.weight", "decoder.final.norm.weight"),
        ("lm_head.weight", "head.weight"),
    ], ignored: [
        // Older checkpoints save the shared embedding again under each stack's name.
        "encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
    ])

    /// T5 in GGUF, named as llama.cpp's converter names it.
    public static let t5GGUF = NameMapping(rules: [
        ("token_embd.weight", "embed.tokens"),
        ("output.weight", "head.weight"),
        ("enc.blk.0.attn_rel_b.weight", "encoder.position_bias"),
        ("enc.blk.{N}.attn_q.weight", "encoder.layers.{N}.attn.q.weight"),
        ("enc.blk.{N}.attn_k.weight", "encoder.layers.{N}.attn.k.weight"),
        ("enc.blk.{N}.attn_v.weight", "encoder.layers.{N}.attn.v.weight"),
        ("enc.blk.{N}.attn_o.weight", "encoder.layers.{N}.attn.o.weight"),
        ("enc.blk.{N}.attn_norm.weight", "encoder.layers.{N}.attn.norm.weight"),
        ("enc.blk.{N}.ffn_gate.weight", "encoder.layers.{N}.ffn.gate.weight"),
        ("enc.blk.{N}.ffn_up.weight", "encoder.layers.{N}.ffn.up.weight"),
        ("enc.blk.{N}.ffn_down.weight", "encoder.layers.{N}.ffn.down.weight"),
        ("enc.blk.{N}.ffn_norm.weight", "encoder.layers.{N}.ffn.norm.weight"),
        ("enc.output_norm.weight", "encoder.final.norm.weight"),
        ("dec.blk.0.attn_rel_b.weight", "decoder.position_bias"),
        ("dec.blk.{N}.attn_q.weight", "decoder.layers.{N}.attn.q.weight"),
        ("dec.blk.{N}.attn_k.weight", "decoder.layers.{N}.attn.k.weight"),
        ("dec.blk.{N}.attn_v.weight", "decoder.layers.{N}.attn.v.weight"),
        ("dec.blk.{N}.attn_o.weight", "decoder.layers.{N}.attn.o.weight"),
        ("dec.blk.{N}.attn_norm.weight", "decoder.layers.{N}.attn.norm.weight"),
        ("dec.blk.{N}.cross_attn_q.weight", "decoder.layers.{N}.cross.q.weight"),
        ("dec.blk.{N}.cross_attn_k.weight", "decoder.layers.{N}.cross.k.weight"),
        ("dec.blk.{N}.cross_attn_v.weight", "decoder.layers.{N}.cross.v.weight"),
        ("dec.blk.{N}.cross_attn_o.weight", "decoder.layers.{N}.cross.o.weight"),
        ("dec.blk.{N}.cross_attn_norm.weight", "decoder.layers.{N}.cross.norm.weight"),
        ("dec.blk.{N}.ffn_gate.weight", "decoder.layers.{N}.ffn.gate.weight"),
        ("dec.blk.{N}.ffn_up.weight", "decoder.layers.{N}.ffn.up.weight"),
        ("dec.blk.{N}.ffn_down.weight", "decoder.layers.{N}.ffn.down.weight"),
        ("dec.blk.{N}.ffn_norm.weight", "decoder.layers.{N}.ffn.norm.weight"),
        ("dec.output_norm.weight", "decoder.final.norm.weight"),
    ], ignored: [])
}
