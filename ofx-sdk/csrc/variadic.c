/*
 * The variadic entries of the OpenFX suites a host serves: paramGetValue & co. and the message suite.
 *
 * Stable Rust can call C-variadic functions but cannot define them, so these few live here. Each one
 * reads its `va_list` and forwards plain arguments to a Rust callback. Rust registers the callbacks once
 * at start-up (`ofxh_register_callbacks`), so this file never names a Rust symbol and link order does
 * not matter.
 *
 * The OpenFX headers are not needed: only `int` statuses and opaque pointers cross this boundary.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef int OfxStatus;
typedef void *OfxParamHandle;

/* Status codes, as in ofxCore.h. */
#define OFXH_STAT_OK 0
#define OFXH_STAT_FAILED 1
#define OFXH_STAT_ERR_MEMORY 8
#define OFXH_STAT_ERR_VALUE 11

/* The C type of each value of a parameter, as `param_shape` reports it. */
#define OFXH_KIND_DOUBLE 0
#define OFXH_KIND_INT 1
#define OFXH_KIND_STRING 2

/* No parameter type has more values than RGBA. */
#define OFXH_MAX_DIM 4

/* Must match `Callbacks` in ofx-sdk/src/host/shim.rs field for field. */
typedef struct OfxhCallbacks {
    /* The C type and the number of values of a parameter instance (or an error status). */
    OfxStatus (*param_shape)(OfxParamHandle h, int *kind, int *count);
    /* Fills `count` doubles, ints or one string pointer; `at_time` selects whether `time` is used. */
    OfxStatus (*param_get)(OfxParamHandle h, int at_time, double time, double *d, int *i, const char **s);
    OfxStatus (*param_set)(OfxParamHandle h, int at_time, double time, const double *d, const int *i,
                           const char *s);
    OfxStatus (*param_derivative)(OfxParamHandle h, double time, double *d);
    OfxStatus (*param_integral)(OfxParamHandle h, double time1, double time2, double *d);
    /* `text` is the formatted message; `persistent` selects setPersistentMessage. */
    OfxStatus (*message)(void *handle, int persistent, const char *type, const char *id, const char *text);
} OfxhCallbacks;

static _Atomic(const OfxhCallbacks *) callbacks;

void ofxh_register_callbacks(const OfxhCallbacks *cb) { atomic_store(&callbacks, cb); }

static const OfxhCallbacks *get_callbacks(void) { return atomic_load(&callbacks); }

static OfxStatus shape(const OfxhCallbacks *cb, OfxParamHandle h, int *kind, int *count) {
    OfxStatus st = cb->param_shape(h, kind, count);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    if (*count < 1 || *count > OFXH_MAX_DIM) {
        return OFXH_STAT_FAILED;
    }
    return OFXH_STAT_OK;
}

/* Writes `count` results through the caller's pointers, read from `ap` by the parameter's C type. A
   null pointer is refused before anything is written. */
static OfxStatus write_results(int kind, int count, const double *d, const int *iv, const char *s, va_list ap) {
    void *outs[OFXH_MAX_DIM];
    for (int k = 0; k < count; k++) {
        switch (kind) {
        case OFXH_KIND_DOUBLE:
            outs[k] = va_arg(ap, double *);
            break;
        case OFXH_KIND_INT:
            outs[k] = va_arg(ap, int *);
            break;
        default:
            outs[k] = va_arg(ap, const char **);
            break;
        }
        if (outs[k] == NULL) {
            return OFXH_STAT_ERR_VALUE;
        }
    }
    for (int k = 0; k < count; k++) {
        switch (kind) {
        case OFXH_KIND_DOUBLE:
            *(double *)outs[k] = d[k];
            break;
        case OFXH_KIND_INT:
            *(int *)outs[k] = iv[k];
            break;
        default:
            *(const char **)outs[k] = s;
            break;
        }
    }
    return OFXH_STAT_OK;
}

static OfxStatus get_value(OfxParamHandle h, int at_time, double time, va_list ap) {
    const OfxhCallbacks *cb = get_callbacks();
    if (cb == NULL) {
        return OFXH_STAT_FAILED;
    }
    int kind = 0, count = 0;
    OfxStatus st = shape(cb, h, &kind, &count);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    double d[OFXH_MAX_DIM] = {0};
    int iv[OFXH_MAX_DIM] = {0};
    const char *s = NULL;
    st = cb->param_get(h, at_time, time, d, iv, &s);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    return write_results(kind, count, d, iv, s, ap);
}

static OfxStatus set_value(OfxParamHandle h, int at_time, double time, va_list ap) {
    const OfxhCallbacks *cb = get_callbacks();
    if (cb == NULL) {
        return OFXH_STAT_FAILED;
    }
    int kind = 0, count = 0;
    OfxStatus st = shape(cb, h, &kind, &count);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    double d[OFXH_MAX_DIM] = {0};
    int iv[OFXH_MAX_DIM] = {0};
    const char *s = NULL;
    /* Variadic arguments are promoted: float arrives as double, bool and char as int. */
    for (int k = 0; k < count; k++) {
        switch (kind) {
        case OFXH_KIND_DOUBLE:
            d[k] = va_arg(ap, double);
            break;
        case OFXH_KIND_INT:
            iv[k] = va_arg(ap, int);
            break;
        default:
            s = va_arg(ap, const char *);
            break;
        }
    }
    return cb->param_set(h, at_time, time, d, iv, s);
}

OfxStatus ofxh_param_get_value(OfxParamHandle h, ...) {
    va_list ap;
    va_start(ap, h);
    OfxStatus st = get_value(h, 0, 0.0, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_param_get_value_at_time(OfxParamHandle h, double time, ...) {
    va_list ap;
    va_start(ap, time);
    OfxStatus st = get_value(h, 1, time, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_param_set_value(OfxParamHandle h, ...) {
    va_list ap;
    va_start(ap, h);
    OfxStatus st = set_value(h, 0, 0.0, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_param_set_value_at_time(OfxParamHandle h, double time, ...) {
    va_list ap;
    va_start(ap, time);
    OfxStatus st = set_value(h, 1, time, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_param_get_derivative(OfxParamHandle h, double time, ...) {
    const OfxhCallbacks *cb = get_callbacks();
    if (cb == NULL) {
        return OFXH_STAT_FAILED;
    }
    int kind = 0, count = 0;
    OfxStatus st = shape(cb, h, &kind, &count);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    double d[OFXH_MAX_DIM] = {0};
    /* The callback refuses parameters that are not double-valued before any pointer is read. */
    st = cb->param_derivative(h, time, d);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    va_list ap;
    va_start(ap, time);
    st = write_results(OFXH_KIND_DOUBLE, count, d, NULL, NULL, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_param_get_integral(OfxParamHandle h, double time1, double time2, ...) {
    const OfxhCallbacks *cb = get_callbacks();
    if (cb == NULL) {
        return OFXH_STAT_FAILED;
    }
    int kind = 0, count = 0;
    OfxStatus st = shape(cb, h, &kind, &count);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    double d[OFXH_MAX_DIM] = {0};
    st = cb->param_integral(h, time1, time2, d);
    if (st != OFXH_STAT_OK) {
        return st;
    }
    va_list ap;
    va_start(ap, time2);
    st = write_results(OFXH_KIND_DOUBLE, count, d, NULL, NULL, ap);
    va_end(ap);
    return st;
}

/* Formats the message (measuring it first, so long messages are not cut) and forwards the text. */
static OfxStatus post(void *handle, int persistent, const char *type, const char *id, const char *format,
                      va_list ap) {
    const OfxhCallbacks *cb = get_callbacks();
    if (cb == NULL) {
        return OFXH_STAT_FAILED;
    }
    if (format == NULL) {
        return cb->message(handle, persistent, type, id, "");
    }
    va_list measure;
    va_copy(measure, ap);
    int n = vsnprintf(NULL, 0, format, measure);
    va_end(measure);
    if (n < 0) {
        return OFXH_STAT_FAILED;
    }
    char small[512];
    char *buf = (size_t)n < sizeof small ? small : malloc((size_t)n + 1);
    if (buf == NULL) {
        return OFXH_STAT_ERR_MEMORY;
    }
    vsnprintf(buf, (size_t)n + 1, format, ap);
    OfxStatus st = cb->message(handle, persistent, type, id, buf);
    if (buf != small) {
        free(buf);
    }
    return st;
}

OfxStatus ofxh_message(void *handle, const char *type, const char *id, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    OfxStatus st = post(handle, 0, type, id, format, ap);
    va_end(ap);
    return st;
}

OfxStatus ofxh_set_persistent_message(void *handle, const char *type, const char *id, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    OfxStatus st = post(handle, 1, type, id, format, ap);
    va_end(ap);
    return st;
}
