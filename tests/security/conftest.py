from tests.workbench.conftest import org  # noqa: F401 - the organisation the workbench tests work in
