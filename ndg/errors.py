"""Errors a user can cause and fix. The CLI prints them without a traceback and exits with 2."""


class UserError(Exception):
    """Something the user wrote or asked for is wrong; `hint` says how to fix it."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self, colour: bool = False) -> str:
        label, hint = ("\x1b[1;31merror\x1b[0m", "\x1b[1;36m= hint:\x1b[0m") if colour else ("error", "= hint:")
        text = f"{label}: {self.message}"
        if self.hint:
            text += f"\n  {hint} {self.hint}"
        return text
