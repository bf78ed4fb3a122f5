"""The Transformer encoder / decoder pair shared by MaskDETR-Reg and Fusion-TDC (pre-norm, batch first)."""

from __future__ import annotations

from typing import Protocol

from torch import nn


class TransformerSizes(Protocol):
    """What a configuration must give: width, heads, feed-forward width, dropout and depths."""

    hidden: int
    heads: int
    ffn: int
    dropout: float
    enc_layers: int
    dec_layers: int


def encoder_decoder(cfg: TransformerSizes) -> tuple[nn.TransformerEncoder, nn.TransformerDecoder]:
    """A pre-norm Transformer encoder and decoder of ``cfg``'s sizes, each ending in a LayerNorm.

    Parameters
    ----------
    cfg : TransformerSizes
        ``hidden`` (token width d), ``heads``, ``ffn``, ``dropout``, ``enc_layers``, ``dec_layers``.

    Returns
    -------
    encoder : nn.TransformerEncoder
        Tokens ``[B, T, d]`` -> memory ``[B, T, d]``.
    decoder : nn.TransformerDecoder
        Queries ``[B, Q, d]`` and memory -> ``[B, Q, d]``.
    """
    d = cfg.hidden
    kw = dict(batch_first=True, norm_first=True)
    enc = nn.TransformerEncoderLayer(d, cfg.heads, cfg.ffn, cfg.dropout, **kw)
    dec = nn.TransformerDecoderLayer(d, cfg.heads, cfg.ffn, cfg.dropout, **kw)
    encoder = nn.TransformerEncoder(enc, cfg.enc_layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
    return encoder, nn.TransformerDecoder(dec, cfg.dec_layers, norm=nn.LayerNorm(d))
