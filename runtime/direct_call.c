/* Calls into a plan's compiled code straight from C: a wasm function through wasmtime's unchecked
 * C entry point (`Caller`), and a native build's `ndg_run` (`native_run`).
 *
 * Through ctypes, one such call cost about 0.7 µs of argument packing, conversion and libffi,
 * where wasmtime's own entry takes about 15 ns: 4% of the tree plan's run (18 µs in the module),
 * and nearly all of a stepped run's per-step overhead. Here nothing is between Python and the code
 * but a vectorcall.
 *
 * It links to nothing: the addresses it calls come from the libraries ctypes has loaded
 * (wasmtime-py's, in runtime/fast_call.py; the native build's, in ndg/native.py).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <time.h>

/* wasmtime_func_call_unchecked(context, function, arguments and results, their count, trap out):
 * returns a wasmtime_error_t* (NULL on success), and sets *trap when the call trapped. */
typedef void *(*call_unchecked_fn)(void *context, const void *function, void *values, size_t count,
                                   void **trap);

/* One wasmtime_val_raw_t: a union of 16 bytes, an i32 in its first 4. */
typedef struct {
    int32_t i32;
    uint8_t rest[12];
} raw_value;

#define MAX_ARITY 4

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    call_unchecked_fn call;
    void *context;
    const void *function;
    Py_ssize_t arity;
    raw_value values[MAX_ARITY];
    PyObject *on_failure; /* on_failure(error address, trap address) raises the failure */
    PyObject *keep;       /* what the addresses point into: alive as long as this caller */
    long long last_ns;    /* how long the last `timed` call took */
} Caller;

static int read_i32(PyObject *number, int32_t *out) {
    long value = PyLong_AsLong(number);
    if (value == -1 && PyErr_Occurred())
        return -1;
    if (value < INT32_MIN || value > UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "an argument does not fit in an i32");
        return -1;
    }
    *out = (int32_t)value;
    return 0;
}

/* The call's arguments into values[]: as many as the function takes, each an i32. */
static int read_arguments(Caller *self, PyObject *const *args, Py_ssize_t count) {
    if (count != self->arity) {
        PyErr_Format(PyExc_TypeError, "expected %zd positional arguments, got %zd", self->arity, count);
        return -1;
    }
    for (Py_ssize_t index = 0; index < count; index++)
        if (read_i32(args[index], &self->values[index].i32) < 0)
            return -1;
    return 0;
}

/* Calls the function with values[] as its arguments; 0 with the result in values[0].i32, or -1
 * with the failure raised. The GIL is released so that the stop clock's thread can run. */
static int call_once(Caller *self) {
    void *trap = NULL;
    void *error;
    Py_BEGIN_ALLOW_THREADS
    error = self->call(self->context, self->function, self->values, (size_t)self->arity, &trap);
    Py_END_ALLOW_THREADS
    if (error == NULL && trap == NULL)
        return 0;
    PyObject *raised = PyObject_CallFunction(self->on_failure, "KK", (unsigned long long)(uintptr_t)error,
                                             (unsigned long long)(uintptr_t)trap);
    if (raised != NULL) {
        Py_DECREF(raised);
        PyErr_SetString(PyExc_SystemError, "on_failure returned instead of raising");
    }
    return -1;
}

static PyObject *Caller_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Caller *self = (Caller *)callable;
    if (kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a wasm function takes positional arguments only");
        return NULL;
    }
    if (read_arguments(self, args, PyVectorcall_NARGS(nargsf)) < 0 || call_once(self) < 0)
        return NULL;
    return PyLong_FromLong(self->values[0].i32);
}

/* timed(*arguments): as a call, and the call's own time, measured here around it (Python's work
 * before and after not counted), left in `last_ns`: what profiles time a step by. */
static PyObject *Caller_timed(Caller *self, PyObject *const *args, Py_ssize_t count) {
    struct timespec started, ended;
    if (read_arguments(self, args, count) < 0)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &started);
    int failed = call_once(self);
    clock_gettime(CLOCK_MONOTONIC, &ended);
    if (failed < 0)
        return NULL;
    self->last_ns = (ended.tv_sec - started.tv_sec) * 1000000000LL + (ended.tv_nsec - started.tv_nsec);
    return PyLong_FromLong(self->values[0].i32);
}

/* each_step(control, first, end): one call per step from `first` to `end` of a
 * (control, first, end) dispatcher, each running that step alone; the first status that is not
 * 0, else 0. */
static PyObject *Caller_each_step(Caller *self, PyObject *const *args, Py_ssize_t count) {
    int32_t control, first, end;
    if (self->arity != 3 || count != 3) {
        PyErr_SetString(PyExc_TypeError, "each_step(control, first, end) is for a 3-argument dispatcher");
        return NULL;
    }
    if (read_i32(args[0], &control) < 0 || read_i32(args[1], &first) < 0 || read_i32(args[2], &end) < 0)
        return NULL;
    for (int32_t index = first; index < end; index++) {
        self->values[0].i32 = control;
        self->values[1].i32 = index;
        self->values[2].i32 = index + 1;
        if (call_once(self) < 0)
            return NULL;
        if (self->values[0].i32 != 0)
            return PyLong_FromLong(self->values[0].i32);
    }
    return PyLong_FromLong(0);
}

static PyObject *Caller_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    unsigned long long call, context, function;
    Py_ssize_t arity;
    PyObject *on_failure, *keep;
    static char *names[] = {"call", "context", "function", "arity", "on_failure", "keep", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "KKKnOO:Caller", names, &call, &context, &function, &arity,
                                     &on_failure, &keep))
        return NULL;
    if (arity < 1 || arity > MAX_ARITY) {
        PyErr_Format(PyExc_ValueError, "arity must be 1 to %d", MAX_ARITY);
        return NULL;
    }
    if (!PyCallable_Check(on_failure)) {
        PyErr_SetString(PyExc_TypeError, "on_failure must be callable");
        return NULL;
    }
    Caller *self = (Caller *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = Caller_vectorcall;
    self->call = (call_unchecked_fn)(uintptr_t)call;
    self->context = (void *)(uintptr_t)context;
    self->function = (const void *)(uintptr_t)function;
    self->arity = arity;  /* values[] and last_ns start at 0: tp_alloc zeroes the object */
    Py_INCREF(on_failure);
    self->on_failure = on_failure;
    Py_INCREF(keep);
    self->keep = keep;
    return (PyObject *)self;
}

static int Caller_traverse(Caller *self, visitproc visit, void *arg) {
    Py_VISIT(self->on_failure);
    Py_VISIT(self->keep);
    return 0;
}

static int Caller_clear(Caller *self) {
    Py_CLEAR(self->on_failure);
    Py_CLEAR(self->keep);
    return 0;
}

static void Caller_dealloc(Caller *self) {
    PyObject_GC_UnTrack(self);
    Caller_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* native_run(set_base, run, base, control, first, end): a native build's
 * ndg_memory_base(base), then its ndg_run(control, first, end); the run's status. */
static PyObject *native_run(PyObject *module, PyObject *const *args, Py_ssize_t count) {
    unsigned long long addresses[4];
    int32_t first, end;
    if (count != 6) {
        PyErr_SetString(PyExc_TypeError, "native_run(set_base, run, base, control, first, end)");
        return NULL;
    }
    for (int index = 0; index < 4; index++) {
        addresses[index] = PyLong_AsUnsignedLongLong(args[index]);
        if (PyErr_Occurred())
            return NULL;
    }
    if (read_i32(args[4], &first) < 0 || read_i32(args[5], &end) < 0)
        return NULL;
    void (*set_base)(void *) = (void (*)(void *))(uintptr_t)addresses[0];
    uint32_t (*run)(void *, uint32_t, uint32_t) = (uint32_t(*)(void *, uint32_t, uint32_t))(uintptr_t)addresses[1];
    set_base((void *)(uintptr_t)addresses[2]);
    return PyLong_FromUnsignedLong(run((void *)(uintptr_t)addresses[3], (uint32_t)first, (uint32_t)end));
}

static PyMethodDef module_functions[] = {
    {"native_run", (PyCFunction)(void (*)(void))native_run, METH_FASTCALL,
     "native_run(set_base, run, base, control, first, end): a native build's ndg_run on the memory at base."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef Caller_methods[] = {
    {"each_step", (PyCFunction)(void (*)(void))Caller_each_step, METH_FASTCALL,
     "each_step(control, first, end): one call per step; the first status that is not 0, else 0."},
    {"timed", (PyCFunction)(void (*)(void))Caller_timed, METH_FASTCALL,
     "timed(*arguments): a call, whose own time in nanoseconds is left in last_ns."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Caller_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Caller, vectorcall), READONLY, NULL},
    {"last_ns", T_LONGLONG, offsetof(Caller, last_ns), READONLY,
     "How long the last `timed` call took, in nanoseconds (measured in C around the call)."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject CallerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ndg.runtime.direct_call.Caller",
    .tp_doc = "Caller(call, context, function, arity, on_failure, keep): an (i32 × arity) -> i32 wasm "
              "function, called through wasmtime_func_call_unchecked at address `call`; `keep` owns what "
              "the addresses point into.",
    .tp_basicsize = sizeof(Caller),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = Caller_new,
    .tp_dealloc = (destructor)Caller_dealloc,
    .tp_traverse = (traverseproc)Caller_traverse,
    .tp_clear = (inquiry)Caller_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Caller, vectorcall),
    .tp_methods = Caller_methods,
    .tp_members = Caller_members,
};

static struct PyModuleDef direct_call_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "direct_call",
    .m_doc = "Calls into a plan's compiled code straight from C.",
    .m_size = -1,
    .m_methods = module_functions,
};

PyMODINIT_FUNC PyInit_direct_call(void) {
    if (PyType_Ready(&CallerType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&direct_call_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&CallerType);
    if (PyModule_AddObject(module, "Caller", (PyObject *)&CallerType) < 0) {
        Py_DECREF(&CallerType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
