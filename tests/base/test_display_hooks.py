"""The display-hook registry: a lower layer's class asks for its Jupyter picture, a higher layer draws it."""

from symgrad.base.display_hooks import mimebundle, register_display


class Shape:
    def __repr__(self) -> str:
        return "Shape()"


class Square(Shape):
    pass


def test_without_a_hook_the_bundle_is_the_text():
    assert mimebundle(Shape()) == {"text/plain": "Shape()"}


def test_a_subclass_is_drawn_by_its_base_class_hook():
    register_display(Shape, lambda obj: {"text/plain": repr(obj), "text/html": "<b>shape</b>"})
    assert mimebundle(Square()) == {"text/plain": "Shape()", "text/html": "<b>shape</b>"}


def test_a_deferred_registrar_runs_once_at_the_first_picture():
    from symgrad.base.display_hooks import register_loader

    class Circle:
        def __repr__(self) -> str:
            return "Circle()"

    calls = []

    def load():
        calls.append(1)
        register_display(Circle, lambda obj: {"text/plain": "drawn"})

    register_loader(load)
    assert mimebundle(Circle()) == {"text/plain": "drawn"}
    assert mimebundle(Circle()) == {"text/plain": "drawn"}
    assert calls == [1]
