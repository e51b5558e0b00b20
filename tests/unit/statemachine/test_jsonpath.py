"""JSONPath: reading (the whole language), Reference Paths for writing, the context object, and errors."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.statemachine.errors import ExpressionError, StatesError
from conveyor.statemachine.jsonpath import is_reference, parse_path, read, write

STORE: dict[str, Any] = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
            {
                "category": "fiction",
                "author": "Herman Melville",
                "title": "Moby Dick",
                "isbn": "0-553",
                "price": 8.99,
            },
            {
                "category": "fiction",
                "author": "J. R. R. Tolkien",
                "title": "LOTR",
                "isbn": "0-395",
                "price": 22.99,
            },
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "limit": 10,
    "odd keys": {"a.b": 1, "it's": 2, "@x": 3},
    "matrix": [[1, 2], [3, 4]],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("$", STORE, id="root"),
        pytest.param("$.limit", 10, id="dot-member"),
        pytest.param("$['limit']", 10, id="bracket-member"),
        pytest.param('$["limit"]', 10, id="double-quoted-member"),
        pytest.param("$.store.bicycle.color", "red", id="nested-members"),
        pytest.param("$.store.book[0].title", "Sayings", id="index"),
        pytest.param("$.store.book[-1].title", "LOTR", id="negative-index"),
        pytest.param("$.matrix[1][0]", 3, id="index-of-index"),
        pytest.param("$['odd keys']['a.b']", 1, id="bracket-with-dot-in-name"),
        pytest.param("$['odd keys']['it\\'s']", 2, id="escaped-quote-in-bracket"),
        pytest.param("$.odd keys.\\@x", 3, id="escaped-at-in-dot-name"),
        pytest.param("$.store.['bicycle'].color", "red", id="aws-dot-bracket"),
    ],
)
def test_definite_paths_read_one_value(path: str, expected: Any) -> None:
    assert read(path, STORE) == expected
    assert parse_path(path).definite


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            "$.store.book[*].author",
            ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"],
            id="wildcard-index",
        ),
        pytest.param("$.store.bicycle.*", ["red", 19.95], id="wildcard-member"),
        pytest.param(
            "$..author",
            ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"],
            id="recursive-descent",
        ),
        pytest.param(
            "$.store..price", [8.95, 12.99, 8.99, 22.99, 19.95], id="recursive-descent-under-member"
        ),
        pytest.param("$..book[2].title", ["Moby Dick"], id="recursive-then-index"),
        pytest.param("$..book[-1:].title", ["LOTR"], id="recursive-then-slice"),
        pytest.param("$.store.book[0:2].title", ["Sayings", "Sword"], id="slice"),
        pytest.param("$.store.book[:2].price", [8.95, 12.99], id="slice-without-start"),
        pytest.param("$.store.book[2:].price", [8.99, 22.99], id="slice-without-stop"),
        pytest.param("$.store.book[::2].price", [8.95, 8.99], id="slice-with-step"),
        pytest.param("$.store.book[::-1].price", [22.99, 8.99, 12.99, 8.95], id="slice-negative-step"),
        pytest.param("$.store.book[-2:].price", [8.99, 22.99], id="slice-negative-start"),
        pytest.param("$.store.book[0:4:0].price", [], id="slice-zero-step-is-empty"),
        pytest.param("$.store.book[0,2].title", ["Sayings", "Moby Dick"], id="union-of-indexes"),
        pytest.param("$.store.bicycle['color','price']", ["red", 19.95], id="union-of-names"),
        pytest.param("$.store.book[?(@.isbn)].title", ["Moby Dick", "LOTR"], id="filter-existence"),
        pytest.param("$.store.book[?(!@.isbn)].title", ["Sayings", "Sword"], id="filter-not"),
        pytest.param("$.store.book[?(@.price < 10)].title", ["Sayings", "Moby Dick"], id="filter-less-than"),
        pytest.param("$.store.book[?(@.price >= 12.99)].title", ["Sword", "LOTR"], id="filter-greater-equal"),
        pytest.param(
            "$.store.book[?(@.category == 'fiction' && @.price > 10)].title",
            ["Sword", "LOTR"],
            id="filter-and",
        ),
        pytest.param(
            "$.store.book[?(@.price < 9 || @.price > 20)].title",
            ["Sayings", "Moby Dick", "LOTR"],
            id="filter-or",
        ),
        pytest.param("$.store.book[?(@.category != 'fiction')].title", ["Sayings"], id="filter-not-equal"),
        pytest.param(
            "$.store.book[?(@.price < $.limit)].title", ["Sayings", "Moby Dick"], id="filter-root-reference"
        ),
        pytest.param("$.store.book[?(!(@.price < 10) && @.isbn)].title", ["LOTR"], id="filter-parentheses"),
        pytest.param('$.store.book[?(@.author == "Nigel Rees")].price', [8.95], id="filter-double-quoted"),
        pytest.param("$.store.book[?(@.author =~ /.*Melville/)].title", ["Moby Dick"], id="filter-regex"),
        pytest.param(
            "$.store.book[?(@.author =~ /herman.*/i)].title", ["Moby Dick"], id="filter-regex-flags"
        ),
        pytest.param("$.store.book[?@.isbn].title", ["Moby Dick", "LOTR"], id="filter-rfc9535-syntax"),
        pytest.param("$.store.book[?(@.missing == null)].title", [], id="filter-missing-is-not-null"),
        pytest.param("$.matrix[*][1]", [2, 4], id="wildcard-then-index"),
        pytest.param("$.nothing[*]", [], id="indefinite-missing-is-empty"),
    ],
)
def test_indefinite_paths_read_every_match(path: str, expected: Any) -> None:
    assert read(path, STORE) == expected
    assert not parse_path(path).definite


def test_filters_distinguish_booleans_from_numbers() -> None:
    data = [{"v": True}, {"v": 1}, {"v": 1.0}]
    assert read("$[?(@.v == 1)]", data) == [{"v": 1}, {"v": 1.0}]
    assert read("$[?(@.v == true)]", data) == [{"v": True}]


def test_filter_on_an_object_tests_its_values() -> None:
    assert read("$[?(@.n > 1)]", {"a": {"n": 1}, "b": {"n": 2}}) == [{"n": 2}]


@pytest.mark.parametrize("path", ["$.missing", "$.store.book[9]", "$.limit.deeper", "$.store.book[-9]"])
def test_a_definite_path_that_matches_nothing_is_a_runtime_error(path: str) -> None:
    with pytest.raises(StatesError) as caught:
        read(path, STORE)
    assert caught.value.error == "States.Runtime"
    assert path in str(caught.value.cause)


def test_context_paths_read_the_context_object() -> None:
    context = {"Execution": {"Id": "e-1"}, "Map": {"Item": {"Index": 3}}}
    assert read("$$.Execution.Id", STORE, context) == "e-1"
    assert read("$$.Map.Item.Index", STORE, context) == 3
    assert read("$$", STORE, context) == context
    with pytest.raises(StatesError, match="needs a context object"):
        read("$$.Execution.Id", STORE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("store", "a path must start with '$'"),
        ("$.", "a member name is missing"),
        ("$..", "a member name is missing after '..'"),
        ("$[", "expected a name, index, slice, '*' or filter, found the end"),
        ("$['a'", "expected ']'"),
        ("$['a]", "a ' string is not closed"),
        ("$[?(@.a ==)]", "expected a path, number, string, true, false or null"),
        ("$[?(@.a =~ /[/)]", "invalid regular expression"),
        ("$[?($$.x)]", "the context object cannot be used in a filter"),
        ("$.a\\", "a '\\' escapes nothing"),
        ("$x", "unexpected 'x'"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_path(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("path", "reference"),
    [
        ("$", True),
        ("$.a.b", True),
        ("$['a'][0]", True),
        ("$.a[-1]", True),
        ("$.a[*]", False),
        ("$..a", False),
        ("$.a[0,1]", False),
        ("$.a[0:1]", False),
        ("$.a[?(@.b)]", False),
    ],
)
def test_reference_paths_name_one_node(path: str, reference: bool) -> None:
    assert is_reference(parse_path(path)) is reference


def test_write_replaces_an_existing_field() -> None:
    raw = {"master": {"detail": [1, 2, 3]}}
    assert write("$.master.detail", raw, 6) == {"master": {"detail": 6}}
    assert raw == {"master": {"detail": [1, 2, 3]}}, "the input is not changed"


def test_write_creates_intervening_objects() -> None:
    raw = {"master": {"detail": [1, 2, 3]}}
    assert write("$.master.result.sum", raw, 6) == {"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}
    assert write("$.b.greeting", {"a": 1}, "Hi!") == {"a": 1, "b": {"greeting": "Hi!"}}


def test_write_into_an_array_element() -> None:
    assert write("$.a[1]", {"a": [1, 2, 3]}, "x") == {"a": [1, "x", 3]}
    assert write("$.a[-1].b", {"a": [{}, {"c": 1}]}, 2) == {"a": [{}, {"c": 1, "b": 2}]}
    assert write("$", {"a": 1}, [1]) == [1]


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("$.x", "foo"),
        ("$.a.b", {"a": 5}),
        ("$.a[3]", {"a": [1]}),
        ("$.a[0]", {"a": {"0": 1}}),
        ("$.a[*]", {"a": [1]}),
    ],
)
def test_write_failures_are_result_path_match_failures(path: str, raw: Any) -> None:
    with pytest.raises(StatesError) as caught:
        write(path, raw, 1)
    assert caught.value.error == "States.ResultPathMatchFailure"


def test_deep_documents_do_not_hit_the_recursion_limit() -> None:
    deep: Any = "bottom"
    for _ in range(5000):
        deep = {"d": deep}
    assert read("$..d", deep)[-1] == "bottom"
