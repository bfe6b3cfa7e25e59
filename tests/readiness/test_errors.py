import inspect

from readiness import errors


def test_every_exception_of_the_project_derives_from_readiness_error() -> None:
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert len(classes) > 5
    assert all(issubclass(c, errors.ReadinessError) for c in classes)


def test_the_module_docstring_draws_every_exception_of_the_tree() -> None:
    documented = errors.__doc__ or ""
    names = [
        n for n, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert [n for n in names if n not in documented] == []
