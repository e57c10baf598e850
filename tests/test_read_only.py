"""Which pages of a plan's memory are read-only (ndg.runtime.read_only), and the host writing them
only while they are writable. Writes that would kill a process run in a process of their own."""

import subprocess
import sys

from ndg.runtime.read_only import OS_PAGE, compared_spans, fixed_pages

P = OS_PAGE


def test_the_widest_run_of_whole_pages_is_protected_and_the_rest_compared():
    assert fixed_pages([(P + 16, 2 * P - 16)]) is None
    assert compared_spans([(P + 16, 2 * P - 16)]) == ((P + 16, 2 * P - 16),)
    spans = [(P + 16, 3 * P + 32), (5 * P, 9 * P - 4)]
    assert fixed_pages(spans) == (5 * P, 8 * P)
    assert compared_spans(spans) == ((P + 16, 3 * P + 32), (8 * P, 9 * P - 4))
    assert compared_spans([(2 * P, 4 * P)]) == ()


# The fixed pages [2P, 4P) of a memory: the host writes them inside `writable()` (one covering
# them, then one that does not and so leaves them read-only), then a wasm store into them traps.
HOST_WRITES = f"""
import ctypes, wasmtime
from ndg.runtime.read_only import ReadOnlyPages
P = {P}
store = wasmtime.Store()
memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(4, 4)))
base = ctypes.addressof(memory.data_ptr(store).contents)
module = wasmtime.Module(store.engine, '''(module (import "env" "memory" (memory 4))
    (func (export "store") (param i32) (i32.store (local.get 0) (i32.const 9))))''')
store_word = wasmtime.Instance(store, module, [memory]).exports(store)["store"]
pages = ReadOnlyPages(base, [(2 * P - 16, 4 * P + 16)])
print(pages.ranges == ((0, P), (2 * P, 4 * P)), memory.read(store, 4, 16) == (P).to_bytes(4, "little") +
      (2 * P).to_bytes(4, "little") + (4 * P).to_bytes(4, "little"))
with pages.writable(3 * P, 3 * P + 4):
    ctypes.c_uint32.from_address(base + 3 * P).value = 7
print(memory.read(store, 3 * P, 3 * P + 4) == (7).to_bytes(4, "little"))
with pages.writable(4 * P, 4 * P + 4):
    store_word(store, 2 * P - 4)  # beside the pages: no system call, nothing protected changes
for address in (3 * P + 8, 8):
    try:
        store_word(store, address)
        print("no trap")
    except wasmtime.Trap as trap:
        print(f"memory fault at wasm address {{address:#x}}" in trap.message)
pages.set_stop_word(1)
print(pages.stop_word == 1)
"""


def test_the_host_writes_read_only_pages_only_while_they_are_writable():
    ran = subprocess.run([sys.executable, "-c", HOST_WRITES], capture_output=True, text=True)
    assert ran.returncode == 0, f"the process ended with {ran.returncode}: {ran.stderr[-2000:]}"
    assert ran.stdout.split() == ["True"] * 6
