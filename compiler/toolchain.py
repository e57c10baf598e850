"""Find a Rust toolchain that can build for wasm32-unknown-unknown."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ndg.errors import UserError

TARGET = "wasm32-unknown-unknown"
INSTALL_HINT = ("install one: on Debian or Ubuntu `apt-get install rustc cargo libstd-rust-dev-wasm32 lld-14`; "
                f"with rustup `rustup target add {TARGET}`; or point NDG_RUSTC and NDG_CARGO at a pair that has it")


@dataclass(frozen=True)
class Toolchain:
    rustc: Path
    cargo: Path

    def environment(self) -> dict[str, str]:
        """The environment for cargo: this pair, and the rustdoc beside this rustc (for doctests)."""
        env = {**os.environ, "RUSTC": str(self.rustc), "CARGO": str(self.cargo)}
        rustdoc = self.rustc.with_name("rustdoc")
        if rustdoc.exists():
            env["RUSTDOC"] = str(rustdoc)
        return env


def _has_wasm32_std(rustc: Path) -> bool:
    try:
        sysroot = subprocess.run([str(rustc), "--print", "sysroot"], capture_output=True, text=True,
                                 timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return False
    lib = Path(sysroot) / "lib" / "rustlib" / TARGET / "lib"
    return lib.is_dir() and any(lib.glob("libstd-*.rlib"))


def _candidates():
    if os.environ.get("NDG_RUSTC") and os.environ.get("NDG_CARGO"):
        yield Path(os.environ["NDG_RUSTC"]), Path(os.environ["NDG_CARGO"])
    on_path = shutil.which("rustc")
    if on_path:
        cargo = Path(on_path).with_name("cargo")
        yield Path(on_path), cargo if cargo.exists() else Path(shutil.which("cargo") or "cargo")
    # Debian's packaged toolchain, which ships the wasm32 standard library as a package.
    yield Path("/usr/bin/rustc"), Path("/usr/bin/cargo")


def find_toolchain() -> Toolchain:
    """The first rustc/cargo pair whose sysroot has the wasm32 standard library."""
    tried = []
    for rustc, cargo in _candidates():
        tried.append(str(rustc))
        if rustc.exists() and cargo.exists() and _has_wasm32_std(rustc):
            return Toolchain(rustc, cargo)
    raise UserError(f"no Rust toolchain that builds for {TARGET} was found (tried {', '.join(dict.fromkeys(tried))})",
                    INSTALL_HINT)


def host_target() -> str:
    """The target triple of this machine, as the toolchain's rustc names it."""
    toolchain = find_toolchain()
    described = subprocess.run([str(toolchain.rustc), "-vV"], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in described.splitlines() if line.startswith("host:"))


if __name__ == "__main__":
    # `python -m ndg.compiler.toolchain`: exit 0 when a usable toolchain exists (the setup script asks this).
    try:
        found = find_toolchain()
    except UserError as error:
        print(error.render())
        raise SystemExit(1) from None
    print(f"rustc {found.rustc}, cargo {found.cargo}")
