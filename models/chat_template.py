"""A chat laid out by the model's own template and tokenised so that content stays content.

`create_chat_completion` tokenises the whole rendered template with control-token parsing on,
so `<|im_start|>` (or any model's control-token text) written in an article became the real
control token. Here only the template's own text is parsed for control tokens; message
content is always plain text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Message = dict[str, str]

# Put around each placeholder: if the rendered prompt loses it, the template strips content
# (Llama 3 and Gemma templates `| trim` it), so the real content is stripped the same way.
_PAD = " \n"


def chat_prompt_tokens(
    messages: Sequence[Message],
    render: Callable[[list[Message]], str],
    tokenize: Callable[[str, bool], list[int]],
    *,
    bos: int | None = None,
) -> list[int]:
    """Token ids of `messages` laid out by a chat template; content never makes control tokens.

    `render(messages)` is the chat template (generation prompt included) as text;
    `tokenize(text, special)` must not add BOS/EOS and parses control-token text (such as
    `<|im_start|>`) into control tokens only when `special`. `bos` is the token the model
    wants first, if any; it is not added again when the template already wrote it.

    The template is rendered once with a unique placeholder in place of each message's
    content. The text around the placeholders is the template's scaffolding, tokenised with
    `special=True`; each content is tokenised on its own with `special=False`. Works for any
    template, including ones that move content around (a system prompt folded into the
    first user turn), since placeholders are located, not assumed.
    """
    contents = [m.get("content") for m in messages]
    nonce = uuid.uuid4().hex
    while any(isinstance(c, str) and nonce in c for c in contents):  # never in practice
        nonce = uuid.uuid4().hex
    # Private-use code points around a hex nonce: nothing a template does to text (trim,
    # lower, escape) confuses them with scaffolding or with another message's placeholder.
    marks: dict[int, str] = {}
    placeholders: list[Message] = []
    for i, (message, content) in enumerate(zip(messages, contents, strict=True)):
        if isinstance(content, str) and content:
            marks[i] = f"\ue000{nonce}.{i}\ue001"
            message = {**message, "content": _PAD + marks[i] + _PAD}
        # Empty content stays empty: a template may test it (`if message.content`).
        placeholders.append(dict(message))
    text = render(placeholders)

    spans: list[tuple[int, int, str]] = []  # (start, end) in `text`, the content there
    for i, mark in marks.items():
        start = text.find(mark)
        if start < 0 or text.find(mark, start + 1) >= 0:
            raise ValueError(
                f"the chat template does not write message {i}'s content exactly once as "
                "given, so it cannot be kept apart from the template's control tokens"
            )
        end = start + len(mark)
        content = contents[i]
        if start >= len(_PAD) and text.startswith(_PAD, start - len(_PAD)):
            start -= len(_PAD)
        else:
            content = content.lstrip()
        if text.startswith(_PAD, end):
            end += len(_PAD)
        else:
            content = content.rstrip()
        spans.append((start, end, content))
    spans.sort()

    tokens: list[int] = []
    at = 0
    for start, end, content in spans:
        if start < at:
            raise ValueError("the chat template interleaves message contents")
        if start > at:
            tokens += tokenize(text[at:start], True)
        if content:
            tokens += tokenize(content, False)
        at = end
    if at < len(text):
        tokens += tokenize(text[at:], True)
    if bos is not None and tokens[:1] != [bos]:
        tokens.insert(0, bos)
    return tokens


@dataclass(frozen=True)
class ChatTemplate:
    """How one loaded model lays out a chat: its template, BOS rule and end-of-turn text."""

    render: Callable[[list[Message]], str]
    bos: int | None  # prepended unless the template writes it; None if the model adds none
    stop: list[str]  # the end-of-turn text, as create_chat_completion stops on it

    @classmethod
    def of(cls, llama: Any) -> ChatTemplate:
        from llama_cpp.llama_chat_format import CHATML_CHAT_TEMPLATE, Jinja2ChatFormatter

        eos, bos = llama.token_eos(), llama.token_bos()
        eos_text = llama._model.token_get_text(eos) if eos != -1 else ""
        bos_text = llama._model.token_get_text(bos) if bos != -1 else ""
        # The GGUF's own template, rendered by the same formatter create_chat_completion
        # uses for it. Without one, ChatML: what every bundled model speaks.
        template = llama.metadata.get("tokenizer.chat_template") or CHATML_CHAT_TEMPLATE
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos_text, bos_token=bos_text)
        return cls(
            render=lambda messages: formatter(messages=messages).prompt,
            # As llama.cpp's own chat path does: the model's add-BOS flag decides, and a BOS
            # the template wrote itself counts (never two).
            bos=bos if bos != -1 and llama._model.add_bos_token() else None,
            stop=[eos_text] if eos_text else [],
        )
