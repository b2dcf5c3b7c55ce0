"""Editor support: the language server (`lsp`, on pygls) over editor logic
with no LSP library in it (`features`: positions, completion, hover,
outline, definitions), and the Pygments lexer (`pygments_lexer`)."""
