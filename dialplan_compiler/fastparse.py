"""A faster stand-in for Lark's contextual lexer, token for token the same.

Lark's contextual lexer gives each parser state a lexer of its own, limited
to the terminals that state accepts. Per token it looks up that lexer,
matches, builds the Token through keyword arguments, retypes keywords with a
second regular expression and feeds a line counter: on a 100,000-line file
that is about half of the parse.

This lexer matches with the root lexer's single expression (every terminal)
and then asks the parser state whether it accepts what was found. When it
does, the state's own lexer would have found the very same token (see
`_exact_states` for why), so the token is built directly. When it does not
(a syntax error, or a word such as `again` where only a statement name is
allowed), that one token is lexed by Lark's own code, so the errors, their
positions and the recovery after them are exactly Lark's.

It is plugged into Lark through its `_plugins` option, for the generated
standalone parser and for Lark itself alike. A grammar whose terminals do
not fit in one expression, or that combines a callback with keyword
retyping, gets Lark's lexer unchanged.
"""

from __future__ import annotations

from itertools import chain
from types import SimpleNamespace


def contextual_lexer(runtime):
    """A subclass of the Lark runtime's `ContextualLexer` that lexes on the
    fast path described above. `runtime` is the generated standalone module,
    or `lark` with the same names (`ContextualLexer`, `Token`,
    `UnexpectedCharacters`, `UnexpectedToken`) set on it."""

    new_str = str.__new__
    base, token_class = runtime.ContextualLexer, runtime.Token
    unexpected_characters, unexpected_token = (runtime.UnexpectedCharacters,
                                               runtime.UnexpectedToken)

    class FastContextualLexer(base):
        def __init__(self, conf, states, always_accept=()):
            super().__init__(conf, states, always_accept)
            root = self.root_lexer
            scanner = root.scanner  # also builds root.callback
            keywords = _keywords(root.callback)
            retyped = set(keywords).union(*(words.values() for words in keywords.values()))
            if len(scanner._mres) != 1 or retyped & set(conf.callbacks):
                self._fast_states = None
                return
            self._match = scanner._mres[0].match
            self._ignore = root.ignore_types
            self._newline = root.newline_types
            self._callbacks = dict(conf.callbacks)
            self._keywords = keywords
            self._fast_states = _exact_states(states, conf, always_accept, keywords)

        @property
        def fast_path(self) -> bool:
            """False when this grammar gets Lark's lexer unchanged."""
            return self._fast_states is not None

        def lex(self, lexer_state, parser_state):
            if self._fast_states is None:
                yield from super().lex(lexer_state, parser_state)
                return
            match, ignore, newline = self._match, self._ignore, self._newline
            callbacks, keywords, fast_states = self._callbacks, self._keywords, self._fast_states
            stack = parser_state.state_stack
            line_ctr = lexer_state.line_ctr
            text, end = lexer_state.text.text, lexer_state.text.end
            pos, line, line_start = line_ctr.char_pos, line_ctr.line, line_ctr.line_start_pos
            while pos < end:
                found = match(text, pos, end)
                accepted, stranded = fast_states[stack[-1]]
                if found is not None and not text.startswith(stranded, pos):
                    type_ = found.lastgroup
                    value = found.group()
                    fast = type_ in accepted
                    if fast and type_ in keywords:
                        keyword = keywords[type_].get(value)
                        if keyword is not None:
                            type_ = keyword
                            fast = keyword in accepted
                else:
                    fast = False
                if not fast:
                    # Lark's own code for this one token: it raises the
                    # errors Lark raises, from where Lark would.
                    line_ctr.char_pos, line_ctr.line = pos, line
                    line_ctr.line_start_pos, line_ctr.column = line_start, pos - line_start + 1
                    token = self._lark_next_token(lexer_state, parser_state)
                    if token is None:
                        return
                    yield token
                    pos, line, line_start = line_ctr.char_pos, line_ctr.line, line_ctr.line_start_pos
                    continue
                start, start_line, start_column = pos, line, pos - line_start + 1
                pos = found.end()
                if type_ in newline:
                    newlines = value.count("\n")
                    if newlines:
                        line += newlines
                        line_start = start + value.rindex("\n") + 1
                ignored = type_ in ignore
                if ignored and type_ not in callbacks:
                    continue
                token = new_str(token_class, value)
                token.type, token.value = type_, value
                token.start_pos, token.line, token.column = start, start_line, start_column
                token.end_pos, token.end_line, token.end_column = pos, line, pos - line_start + 1
                # Lark's line counter stays current: error recovery resumes
                # from it, and a callback may look at it.
                line_ctr.char_pos, line_ctr.line = pos, line
                line_ctr.line_start_pos, line_ctr.column = line_start, token.end_column
                if type_ in callbacks:
                    token = callbacks[type_](token)
                if ignored:
                    continue
                lexer_state.last_token = token
                yield token
            line_ctr.char_pos, line_ctr.line = pos, line
            line_ctr.line_start_pos, line_ctr.column = line_start, pos - line_start + 1

        def _lark_next_token(self, lexer_state, parser_state):
            """What `ContextualLexer.lex` does for one token; None at the end."""
            try:
                return self.lexers[parser_state.position].next_token(lexer_state, parser_state)
            except EOFError:
                return None
            except unexpected_characters as error:
                try:
                    last_token = lexer_state.last_token
                    token = self.root_lexer.next_token(lexer_state, parser_state)
                    raise unexpected_token(token, error.allowed, state=parser_state,
                                           token_history=[last_token],
                                           terminals_by_name=self.root_lexer.terminals_by_name)
                except unexpected_characters:
                    raise error from None

    return FastContextualLexer


def _keywords(callbacks) -> dict[str, dict[str, str]]:
    """For each terminal Lark retypes by value (ATOM "again" → AGAIN): the
    keyword strings it retypes, and their terminal names."""
    keywords = {}
    for name, callback in callbacks.items():
        scanner = getattr(callback, "scanner", None)
        if scanner is not None:
            keywords[name] = {t.pattern.value: t.name for t in scanner.terminals}
    return keywords


def _exact_states(states, conf, always_accept, keywords) -> dict:
    """For each parser state: the terminals the fast path may return in it,
    and the keywords that, where the text starts with one, send the token
    to Lark's own lexer.

    A state's own lexer tries its terminals in the root lexer's order, so
    where the root lexer found terminal T and the state's lexer has T, the
    state's lexer finds the same T with the same text: every terminal it
    tries first is one the root lexer tried first, and that did not match.
    The exception is a keyword string: the root lexer folds it into the
    terminal that retypes it (ATOM), but the lexer of a state that accepts
    `again` and not ATOM tries "again" on its own, and would lex `again` in
    `againx`. In such a state a token that starts with a stranded keyword
    is lexed by Lark. (With our grammar the root lexer finds ATOM there, which
    such a state does not accept, so Lark lexes it anyway; the check keeps
    the fast path exact for any grammar, at the cost of one `startswith`.)"""
    embedded = {keyword: (retyper, string) for retyper, words in keywords.items()
                for string, keyword in words.items()}
    terminal_names = {t.name for t in conf.terminals}
    fast = {}
    by_accepts: dict[frozenset, tuple] = {}
    for state, accepts in states.items():
        key = frozenset(accepts)
        if key not in by_accepts:
            names = (key | set(conf.ignore) | set(always_accept)) & terminal_names
            stranded = tuple(sorted(embedded[n][1] for n in names
                                    if n in embedded and embedded[n][0] not in names))
            by_accepts[key] = (frozenset(names), stranded)
        fast[state] = by_accepts[key]
    return fast


class NotClean(Exception):
    """The input has a syntax error: parse it again with Lark's own loop,
    which reports it and recovers."""


def clean_parser(lark_parser, runtime):
    """A function `parse(text)` that returns what `lark_parser.parse(text)`
    returns for input without syntax errors, and raises `NotClean` at the
    first one (the caller then parses with Lark, which reports and
    recovers); None when `lark_parser` is not the kind this loop knows.
    `runtime` is as for `contextual_lexer`, with `TextSlice`, `LexerState`
    and `UnexpectedInput` too.

    Lark's LALR loop calls a method per token and reaches the parse table
    through several objects; this one keeps everything in locals, with the
    table turned into one dict per state whose entries are the next state
    (shift) or `(size, goto symbol, callback)` (reduce). Tokens come from
    the contextual lexer above, so they are Lark's."""
    frontend = lark_parser.parser
    lexer = frontend.lexer
    lalr = getattr(frontend.parser, "parser", None)
    table = getattr(lalr, "parse_table", None)
    if (table is None or not getattr(lexer, "fast_path", False)
            or list(table.start_states) != ["start"]
            or any(isinstance(key, str) for key in lalr.callbacks)):
        return None
    callbacks = _list_callbacks(lalr.callbacks) or lalr.callbacks
    start_state, end_state = table.start_states["start"], table.end_states["start"]
    actions = {
        state: {symbol: arg if isinstance(arg, int) else
                (len(arg.expansion), arg.origin.name, callbacks[arg])
                for symbol, (_action, arg) in row.items()}
        for state, row in table.states.items()}
    lex = lexer.lex
    text_slice, lexer_state, unexpected_input = (runtime.TextSlice, runtime.LexerState,
                                                 runtime.UnexpectedInput)

    def parse(text: str):
        stack = [start_state]
        values = []
        tokens = lex(lexer_state(text_slice.cast_from(text)), _Position(stack))
        try:
            for token in chain(tokens, _END_OF_INPUT):
                type_ = token.type
                while True:
                    action = actions[stack[-1]].get(type_)
                    if action is None:
                        raise NotClean
                    if action.__class__ is int:
                        stack.append(action)
                        values.append(token)
                        break
                    size, goto, callback = action
                    if size:
                        children = values[-size:]
                        del stack[-size:]
                        del values[-size:]
                    else:
                        children = []
                    values.append(callback(children))
                    stack.append(actions[stack[-1]][goto])
                    if stack[-1] == end_state and type_ == "$END":
                        return values[-1]
        except unexpected_input as error:  # from the lexer's slow path
            raise NotClean from error
        raise NotClean  # the end of the input did not finish the parse

    return parse


def _list_callbacks(callbacks):
    """Lark's rule callbacks, with the rules it inlines (`_items`, and the
    `__…_star` rules of repetitions) building plain lists instead of Tree
    nodes that their parent then takes apart; None for a rule shape this
    does not know, and then Lark's callbacks are used.

    A parent rule's callback splices an inlined child's children into its
    own (Lark's ChildFilter, with `to_include` of (index, expand) pairs);
    here the child's value is already that list."""
    fast = {}
    for rule, callback in callbacks.items():
        inlined = rule.origin.name.startswith("_")
        include = getattr(callback, "to_include", None)
        if include is not None:
            if getattr(callback, "append_none", None) or any(
                    len(entry) > 2 and entry[2] for entry in include):
                return None  # placeholders for [optional] parts
            pairs = tuple((entry[0], entry[1]) for entry in include)
            if any(expand and not _is_inlined(rule.expansion[i]) for i, expand in pairs):
                return None
            fast[rule] = _filter(pairs, None if inlined else callback.node_builder)
        elif inlined:
            if getattr(getattr(callback, "func", None), "__name__", "") != "default_callback":
                return None  # not the plain Tree builder
            fast[rule] = list
        else:
            fast[rule] = callback
    return fast


def _is_inlined(symbol) -> bool:
    return not symbol.is_term and symbol.name.startswith("_")


def _filter(pairs, builder):
    """The children a rule keeps: (index, expand) pairs, an expanded child
    being an inlined rule's list. The first child's list, when expanded,
    is extended in place: no one else holds it."""
    if pairs and pairs[0][1]:
        first, rest = pairs[0][0], pairs[1:]
    else:
        first, rest = None, pairs

    def filtered(children):
        kept = children[first] if first is not None else []
        for index, expand in rest:
            if expand:
                kept += children[index]
            else:
                kept.append(children[index])
        return kept if builder is None else builder(kept)

    return filtered


#: What Lark's loop feeds after the last token.
_END_OF_INPUT = (SimpleNamespace(type="$END"),)


class _Position:
    """The part of Lark's ParserState the contextual lexer reads."""

    __slots__ = ("state_stack",)

    def __init__(self, state_stack):
        self.state_stack = state_stack

    @property
    def position(self):
        return self.state_stack[-1]
