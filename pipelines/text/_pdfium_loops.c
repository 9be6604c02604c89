/* The two loops of `pipelines.text.pdf_chars` that run once per character and once per path point,
 * compiled: the same pdfium calls and the same arithmetic as the Python loops beside them (doubles,
 * in the same order, no fused multiply-add), so that both give identical marks.
 *
 * pdfium is not linked here: the caller passes the addresses of the pdfium functions that pypdfium2
 * has loaded (`ctypes.cast(fn, c_void_p).value`), and the handles as integers. `metrics_of_char` is
 * `pdf_chars._metrics` and the `tight` branch `pdf_chars._tight_box`, written in C.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>

typedef struct { float left, top, right, bottom; } RectF;   /* FS_RECTF */
typedef struct { float a, b, c, d, e, f; } MatrixF;         /* FS_MATRIX */

typedef int (*LooseBoxFn)(void *, int, RectF *);
typedef int (*OriginFn)(void *, int, double *, double *);
typedef int (*IsGeneratedFn)(void *, int);
typedef void *(*TextObjectFn)(void *, int);
typedef int (*CountFn)(void *);
typedef void *(*ObjectAtFn)(void *, int);
typedef void *(*FormObjectAtFn)(void *, unsigned long);
typedef int (*TypeFn)(void *);
typedef int (*MatrixFn)(void *, MatrixF *);
typedef int (*PointFn)(void *, float *, float *);
typedef int (*CharMatrixFn)(void *, int, MatrixF *);
typedef double (*FontSizeFn)(void *, int);
typedef void *(*FontOfFn)(void *);
typedef int (*DescentFn)(void *, float, float *);
typedef int (*CharBoxFn)(void *, int, double *, double *, double *, double *);

typedef struct {  /* the pdfium functions the character loop calls */
    LooseBoxFn loose_box; OriginFn origin; IsGeneratedFn is_generated; TextObjectFn text_object_of;
    CharMatrixFn char_matrix; FontSizeFn font_size; FontOfFn font_of; DescentFn descent_of; CharBoxFn char_box;
} CharFns;

static void *address(PyObject *value) {
    return value == Py_None ? NULL : PyLong_AsVoidPtr(value);
}

/* The n addresses of `fns` (a tuple of ints) into out; -1 with an error set when one is missing or null. */
static int addresses(PyObject *fns, void **out, Py_ssize_t n) {
    if (PyTuple_GET_SIZE(fns) != n) {
        PyErr_Format(PyExc_ValueError, "%zd function addresses, not %zd", n, PyTuple_GET_SIZE(fns));
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        out[k] = address(PyTuple_GET_ITEM(fns, k));
        if (!out[k]) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a null function address");
            return -1;
        }
    }
    return 0;
}

/* The page handle `value` (an int); NULL with an error set when it is missing or null. */
static void *page_address(PyObject *value) {
    void *page = address(value);
    if (!page && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a null page address");
    return page;
}

/* ---------------------------------------------------------------- characters */

typedef struct {
    int known;        /* 0: not looked up; 1: metrics; 2: None (the character is left out) */
    double descent, height;
    int tight, vertical;
    PyObject *direction;   /* a Python int, owned */
} Metrics;

typedef struct { long long top, bottom; Metrics m; } ByKey;
typedef struct { void *object; Metrics m; } ByObject;

typedef struct {
    ByKey *keys; Py_ssize_t nkeys, capkeys;
    ByObject *objects; Py_ssize_t nobjects, capobjects;
} MetricsCache;

static void cache_free(MetricsCache *cache) {
    for (Py_ssize_t i = 0; i < cache->nkeys; i++) Py_XDECREF(cache->keys[i].m.direction);
    for (Py_ssize_t i = 0; i < cache->nobjects; i++) Py_XDECREF(cache->objects[i].m.direction);
    PyMem_Free(cache->keys);
    PyMem_Free(cache->objects);
}

static int direction_of(double a, double b) {  /* `pdf_chars._direction` */
    double abs_b = fabs(b);
    return a > abs_b ? 0 : -a > abs_b ? 180 : b > 0 ? 90 : 270;
}

/* `pdf_chars._metrics`: how pdfminer boxes the characters of the font at character i; known = 2 for None */
static int metrics_of_char(const CharFns *fns, void *page, int i, double loose_width, double a, double b,
                           double c, double d, Metrics *m) {
    MatrixF matrix;
    if (!fns->char_matrix(page, i, &matrix)) { m->known = 2; m->direction = NULL; return 0; }
    double size = fns->font_size(page, i);
    double ma = matrix.a, mb = matrix.b, md = matrix.d;
    int direction = direction_of(ma * a + mb * c, ma * b + mb * d);
    void *text_object = fns->text_object_of(page, i);
    void *font = text_object ? fns->font_of(text_object) : NULL;
    float descent = 0.0f;
    if (font) fns->descent_of(font, 1000.0f, &descent);
    double height = size * md;
    m->tight = !(ma > fabs(mb)) || height <= 0;
    m->vertical = fabs(loose_width - size) < 0.01 && fabs(size - height) > 0.01;
    m->descent = (double)descent * height / 1000.0;
    m->height = height;
    m->direction = PyLong_FromLong(direction);
    if (!m->direction) return -1;
    m->known = 1;
    return 0;
}

static int push(void **items, Py_ssize_t *n, Py_ssize_t *cap, size_t size) {
    if (*n < *cap) return 0;
    Py_ssize_t grown = *cap ? *cap * 2 : 16;
    void *more = PyMem_Realloc(*items, grown * size);
    if (!more) { PyErr_NoMemory(); return -1; }
    *items = more; *cap = grown;
    return 0;
}

static inline double min2(double p, double q) { return q < p ? q : p; }  /* Python's min(p, q) */
static inline double max2(double p, double q) { return q > p ? q : p; }  /* Python's max(p, q) */

static PyObject *append_char(PyObject *out, double x0, double y0, double x1, double y1, Py_UCS4 ch,
                             PyObject *direction) {
    PyObject *text = PyUnicode_FromOrdinal((int)ch);
    if (!text) return NULL;
    PyObject *row = Py_BuildValue("(ddddNO)", x0, y0, x1, y1, text, direction);
    if (!row) return NULL;
    int failed = PyList_Append(out, row);
    Py_DECREF(row);
    return failed ? NULL : out;
}

/* read_chars(fns, page, text, ctm, out)
 *   fns: the addresses of FPDFText_GetLooseCharBox, FPDFText_GetCharOrigin, FPDFText_IsGenerated,
 *        FPDFText_GetTextObject, FPDFText_GetMatrix, FPDFText_GetFontSize, FPDFTextObj_GetFont,
 *        FPDFFont_GetDescent, FPDFText_GetCharBox
 *   page: the text page's address; text: its characters (FPDFText_GetText); out: the list appended to
 */
static PyObject *read_chars(PyObject *self, PyObject *args) {
    PyObject *fns, *page_obj, *text, *out;
    double a, b, c, d, e, f;
    if (!PyArg_ParseTuple(args, "O!OU(dddddd)O!", &PyTuple_Type, &fns, &page_obj, &text, &a, &b, &c, &d, &e, &f,
                          &PyList_Type, &out))
        return NULL;
    void *fn[9], *page;
    if (addresses(fns, fn, 9) < 0 || !(page = page_address(page_obj))) return NULL;
    CharFns fns_ = {(LooseBoxFn)fn[0], (OriginFn)fn[1], (IsGeneratedFn)fn[2], (TextObjectFn)fn[3],
                    (CharMatrixFn)fn[4], (FontSizeFn)fn[5], (FontOfFn)fn[6], (DescentFn)fn[7], (CharBoxFn)fn[8]};
    int upright = a == 1 && b == 0 && c == 0 && d == 1;
    Py_ssize_t count = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    MetricsCache cache = {0};
    Py_ssize_t last = -1;  /* index in cache.keys of the previous character's font */
    PyObject *result = out;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISSPACE(ch)) {
            if (ch == '\r' || ch == '\n' || fns_.is_generated(page, (int)i)) continue;
        } else if (ch == 0) {
            continue;
        }
        RectF rect;
        double x, y;
        if (!fns_.loose_box(page, (int)i, &rect) || !fns_.origin(page, (int)i, &x, &y)) continue;
        double left = rect.left, right = rect.right, bottom = rect.bottom, top = rect.top;
        double kt = (top - y) * 1024.0, kb = (bottom - y) * 1024.0;
        if (!isfinite(kt) || !isfinite(kb)) {  /* as Python's int() of such a float */
            PyErr_SetString(isnan(kt) || isnan(kb) ? PyExc_ValueError : PyExc_OverflowError,
                            "cannot convert a character's box to an integer key");
            result = NULL;
            break;
        }
        long long key_top = (long long)kt, key_bottom = (long long)kb;  /* truncation, as int() */
        if (last < 0 || cache.keys[last].top != key_top || cache.keys[last].bottom != key_bottom) {
            last = -1;
            for (Py_ssize_t k = 0; k < cache.nkeys; k++)
                if (cache.keys[k].top == key_top && cache.keys[k].bottom == key_bottom) { last = k; break; }
            if (last < 0) {  /* a new font or size: by its text object, else looked up */
                void *object = fns_.text_object_of(page, (int)i);
                Metrics found = {0};
                for (Py_ssize_t k = 0; k < cache.nobjects; k++)
                    if (cache.objects[k].object == object) { found = cache.objects[k].m; break; }
                if (!found.known) {
                    if (metrics_of_char(&fns_, page, (int)i, right - left, a, b, c, d, &found) < 0) {
                        result = NULL; break;
                    }
                    if (push((void **)&cache.objects, &cache.nobjects, &cache.capobjects, sizeof(ByObject)) < 0) {
                        Py_XDECREF(found.direction); result = NULL; break;
                    }
                    cache.objects[cache.nobjects].object = object;
                    cache.objects[cache.nobjects].m = found;
                    cache.nobjects++;
                }
                if (push((void **)&cache.keys, &cache.nkeys, &cache.capkeys, sizeof(ByKey)) < 0) {
                    result = NULL; break;
                }
                Py_XINCREF(found.direction);
                cache.keys[cache.nkeys].top = key_top;
                cache.keys[cache.nkeys].bottom = key_bottom;
                cache.keys[cache.nkeys].m = found;
                last = cache.nkeys++;
            }
        }
        Metrics *m = &cache.keys[last].m;
        if (m->known == 2) continue;
        if (m->tight) {  /* `pdf_chars._tight_box`: the glyph's own box */
            if (!fns_.char_box(page, (int)i, &left, &right, &bottom, &top)) continue;
        } else if (m->vertical) {
            left = x; right = x + m->height; bottom = y; top = y + m->height;
        } else {
            double width = right - left;
            bottom = y + m->descent;
            left = x; right = x + width; top = bottom + m->height;
        }
        PyObject *appended;
        if (upright) {
            appended = append_char(out, left + e, bottom + f, right + e, top + f, ch, m->direction);
        } else {
            double xa = a * left + c * bottom + e, xb = a * right + c * top + e;
            double ya = b * left + d * bottom + f, yb = b * right + d * top + f;
            appended = append_char(out, min2(xa, xb), min2(ya, yb), max2(xa, xb), max2(ya, yb), ch,
                                   m->direction);
        }
        if (!appended) { result = NULL; break; }
    }
    cache_free(&cache);
    if (!result) return NULL;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- paths */

typedef struct {
    CountFn count_objects; ObjectAtFn object_at; TypeFn object_type; MatrixFn matrix_of;
    CountFn count_segments; ObjectAtFn segment_at; TypeFn segment_type; PointFn point_of;
    CountFn count_form_objects; FormObjectAtFn form_object_at;
    int path_kind, image_kind, form_kind, moveto, bezierto;
    PyObject *shapes;
    long images;
    double *points; Py_ssize_t npoints, cappoints;  /* the subpath: x, y pairs (counted in pairs) */
} Walk;

typedef struct { double a, b, c, d, e, f; } Matrix;

static Matrix mul(const MatrixF *m, const Matrix *ctm) {  /* `_mul((fs...), ctm)`: m then ctm */
    double a1 = m->a, b1 = m->b, c1 = m->c, d1 = m->d, e1 = m->e, f1 = m->f;
    Matrix r = {
        ctm->a * a1 + ctm->c * b1, ctm->b * a1 + ctm->d * b1,
        ctm->a * c1 + ctm->c * d1, ctm->b * c1 + ctm->d * d1,
        ctm->a * e1 + ctm->c * f1 + ctm->e, ctm->b * e1 + ctm->d * f1 + ctm->f,
    };
    return r;
}

static int add_shape(Walk *w) {
    /* `_subpath_box` of the subpath's points, appended to the shapes */
    Py_ssize_t n = w->npoints;
    double *p = w->points;
    double x0, y0, x1, y1;
    int is_rect = 0;
    if (n == 5 && p[0] == p[8] && p[1] == p[9]) {
        double ax = p[0], ay = p[1], bx = p[2], by = p[3], cx = p[4], cy = p[5], dx = p[6], dy = p[7];
        is_rect = (ax == bx && by == cy && cx == dx && dy == ay) || (ay == by && bx == cx && cy == dy && dx == ax);
        x0 = min2(min2(min2(ax, bx), cx), dx); y0 = min2(min2(min2(ay, by), cy), dy);
        x1 = max2(max2(max2(ax, bx), cx), dx); y1 = max2(max2(max2(ay, by), cy), dy);
    } else if (n == 2) {
        x0 = p[2] < p[0] ? p[2] : p[0]; y0 = p[3] < p[1] ? p[3] : p[1];
        x1 = p[2] > p[0] ? p[2] : p[0]; y1 = p[3] > p[1] ? p[3] : p[1];
    } else {
        x0 = x1 = p[0]; y0 = y1 = p[1];
        for (Py_ssize_t k = 1; k < n; k++) {
            x0 = min2(x0, p[2 * k]); y0 = min2(y0, p[2 * k + 1]);
            x1 = max2(x1, p[2 * k]); y1 = max2(y1, p[2 * k + 1]);
        }
    }
    PyObject *row = Py_BuildValue("(ddddO)", x0, y0, x1, y1, is_rect ? Py_True : Py_False);
    if (!row) return -1;
    int failed = PyList_Append(w->shapes, row);
    Py_DECREF(row);
    return failed ? -1 : 0;
}

static int add_point(Walk *w, double x, double y) {
    if (push((void **)&w->points, &w->npoints, &w->cappoints, 2 * sizeof(double)) < 0) return -1;
    w->points[2 * w->npoints] = x;
    w->points[2 * w->npoints + 1] = y;
    w->npoints++;
    return 0;
}

static int walk_path(Walk *w, void *obj, const Matrix *m) {
    w->npoints = 0;
    int bezier = 0;
    int segments = w->count_segments(obj);
    for (int i = 0; i < segments; i++) {
        void *seg = w->segment_at(obj, i);
        int kind = w->segment_type(seg);
        if (kind == w->bezierto) {
            bezier++;
            if (bezier % 3) continue;  /* a control point */
        }
        float fx, fy;
        if (!w->point_of(seg, &fx, &fy)) continue;
        double px = fx, py = fy;
        double x = m->a * px + m->c * py + m->e, y = m->b * px + m->d * py + m->f;
        if (kind == w->moveto) {
            if (w->npoints > 1 && add_shape(w) < 0) return -1;
            w->npoints = 0;
            bezier = 0;
        }
        if (add_point(w, x, y) < 0) return -1;
    }
    if (w->npoints > 1 && add_shape(w) < 0) return -1;
    return 0;
}

static int walk_objects(Walk *w, void *parent, int form, const Matrix *ctm, int depth) {
    if (depth > 400) { PyErr_SetString(PyExc_RecursionError, "forms nested more than 400 deep"); return -1; }
    int n = form ? w->count_form_objects(parent) : w->count_objects(parent);
    for (int i = 0; i < n; i++) {
        void *obj = form ? w->form_object_at(parent, (unsigned long)i) : w->object_at(parent, i);
        int kind = w->object_type(obj);
        MatrixF fs;
        if (kind == w->path_kind) {
            if (w->matrix_of(obj, &fs)) {
                Matrix m = mul(&fs, ctm);
                if (walk_path(w, obj, &m) < 0) return -1;
            }
        } else if (kind == w->image_kind) {
            w->images++;
        } else if (kind == w->form_kind && w->matrix_of(obj, &fs)) {
            Matrix inner = mul(&fs, ctm);
            if (walk_objects(w, obj, 1, &inner, depth + 1) < 0) return -1;
        }
    }
    return 0;
}

/* read_objects(fns, kinds, page, ctm, shapes) -> images
 *   fns: (CountObjects, GetObject, PageObj_GetType, PageObj_GetMatrix, Path_CountSegments,
 *         Path_GetPathSegment, PathSegment_GetType, PathSegment_GetPoint, FormObj_CountObjects,
 *         FormObj_GetObject) addresses
 *   kinds: (PAGEOBJ_PATH, PAGEOBJ_IMAGE, PAGEOBJ_FORM, SEGMENT_MOVETO, SEGMENT_BEZIERTO)
 */
static PyObject *read_objects(PyObject *self, PyObject *args) {
    PyObject *fns, *page_obj, *shapes;
    Walk w = {0};
    Matrix ctm;
    if (!PyArg_ParseTuple(args, "O!(iiiii)O(dddddd)O!", &PyTuple_Type, &fns, &w.path_kind, &w.image_kind,
                          &w.form_kind, &w.moveto, &w.bezierto, &page_obj, &ctm.a, &ctm.b, &ctm.c, &ctm.d,
                          &ctm.e, &ctm.f, &PyList_Type, &shapes))
        return NULL;
    void *f[10], *page;
    if (addresses(fns, f, 10) < 0 || !(page = page_address(page_obj))) return NULL;
    w.count_objects = (CountFn)f[0]; w.object_at = (ObjectAtFn)f[1]; w.object_type = (TypeFn)f[2];
    w.matrix_of = (MatrixFn)f[3]; w.count_segments = (CountFn)f[4]; w.segment_at = (ObjectAtFn)f[5];
    w.segment_type = (TypeFn)f[6]; w.point_of = (PointFn)f[7]; w.count_form_objects = (CountFn)f[8];
    w.form_object_at = (FormObjectAtFn)f[9];
    w.shapes = shapes;
    int failed = walk_objects(&w, page, 0, &ctm, 0);
    PyMem_Free(w.points);
    if (failed) return NULL;
    return PyLong_FromLong(w.images);
}

/* ---------------------------------------------------------------- upright marks to layout input */

typedef struct {
    PyTypeObject *type; Py_ssize_t n; PyObject *names[5];
    Py_ssize_t offsets[5];  /* where each slot is in the object (its member descriptor's), or -1 */
} SlotsClass;

static PyObject *instance(SlotsClass *cls, PyObject **values) {
    /* cls(*values) for a dataclass with slots, its fields set as its __init__ sets them; steals values */
    PyObject *obj = cls->type->tp_alloc(cls->type, 0);
    int failed = obj == NULL;
    for (Py_ssize_t k = 0; k < cls->n; k++) {
        if (failed || values[k] == NULL) {
            failed = 1;
            Py_XDECREF(values[k]);
        } else if (cls->offsets[k] >= 0) {  /* a fresh object's slot is empty: the value's reference moves in */
            *(PyObject **)((char *)obj + cls->offsets[k]) = values[k];
        } else {
            failed = PyObject_GenericSetAttr(obj, cls->names[k], values[k]) < 0;
            Py_DECREF(values[k]);
        }
    }
    if (failed) { Py_XDECREF(obj); return NULL; }
    return obj;
}

static int slots_class(PyObject *type, const char *const *names, Py_ssize_t n, SlotsClass *cls) {
    if (!PyType_Check(type)) { PyErr_SetString(PyExc_TypeError, "a class"); return -1; }
    cls->type = (PyTypeObject *)type;
    cls->n = n;
    for (Py_ssize_t k = 0; k < n; k++) {
        cls->names[k] = PyUnicode_InternFromString(names[k]);
        if (!cls->names[k]) return -1;
        PyObject *descr = _PyType_Lookup(cls->type, cls->names[k]);  /* borrowed */
        cls->offsets[k] = -1;
        if (descr && Py_TYPE(descr) == &PyMemberDescr_Type) {
            PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
            if (member->type == T_OBJECT_EX && !(member->flags & READONLY)) cls->offsets[k] = member->offset;
        }
    }
    return 0;
}

static void slots_class_free(SlotsClass *cls) {
    for (Py_ssize_t k = 0; k < cls->n; k++) Py_XDECREF(cls->names[k]);
}

static int append_new(PyObject *list, SlotsClass *cls, PyObject **values) {
    PyObject *obj = instance(cls, values);
    if (!obj) return -1;
    int failed = PyList_Append(list, obj);
    Py_DECREF(obj);
    return failed;
}

/* orient_upright(chars, shapes, height, Glyph, Rule, HRule) -> (glyphs, rules, hrules)
 * `pdf._oriented` for a page whose text runs left to right: the same objects, the same values. */
static PyObject *orient_upright(PyObject *self, PyObject *args) {
    PyObject *chars, *shapes, *glyph_type, *rule_type, *hrule_type;
    double height;
    if (!PyArg_ParseTuple(args, "O!O!dOOO", &PyList_Type, &chars, &PyList_Type, &shapes, &height, &glyph_type,
                          &rule_type, &hrule_type))
        return NULL;
    static const char *const glyph_fields[] = {"x0", "x1", "top", "bottom", "text"};
    static const char *const rule_fields[] = {"x", "top", "bottom"};
    static const char *const hrule_fields[] = {"y", "x0", "x1"};
    SlotsClass glyph = {0}, rule = {0}, hrule = {0};
    PyObject *glyphs = NULL, *rules = NULL, *hrules = NULL, *result = NULL;
    if (slots_class(glyph_type, glyph_fields, 5, &glyph) < 0 || slots_class(rule_type, rule_fields, 3, &rule) < 0 ||
        slots_class(hrule_type, hrule_fields, 3, &hrule) < 0)
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(chars);
    glyphs = PyList_New(n);
    rules = PyList_New(0);
    hrules = PyList_New(0);
    if (!glyphs || !rules || !hrules) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = PyList_GET_ITEM(chars, i);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 6) { PyErr_SetString(PyExc_TypeError, "a mark"); goto done; }
        PyObject *x0 = PyTuple_GET_ITEM(row, 0), *x1 = PyTuple_GET_ITEM(row, 2), *text = PyTuple_GET_ITEM(row, 4);
        double y0 = PyFloat_AsDouble(PyTuple_GET_ITEM(row, 1)), y1 = PyFloat_AsDouble(PyTuple_GET_ITEM(row, 3));
        if (PyErr_Occurred()) goto done;
        Py_INCREF(x0); Py_INCREF(x1); Py_INCREF(text);  /* the same objects, as Glyph(x0, x1, ...) has them */
        PyObject *values[5] = {x0, x1, PyFloat_FromDouble(height - y1), PyFloat_FromDouble(height - y0), text};
        PyObject *g = instance(&glyph, values);
        if (!g) goto done;
        PyList_SET_ITEM(glyphs, i, g);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(shapes); i++) {
        double x0, y0, x1, y1;
        PyObject *x0_obj, *x1_obj;
        int is_rect;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(shapes, i), "OdOdp", &x0_obj, &y0, &x1_obj, &y1, &is_rect)) goto done;
        x0 = PyFloat_AsDouble(x0_obj);
        x1 = PyFloat_AsDouble(x1_obj);
        if (PyErr_Occurred()) goto done;
        double w = x1 - x0, h = y1 - y0;
        if (w <= 2.5 && h > 4) {
            PyObject *v[3] = {PyFloat_FromDouble((x0 + x1) / 2), PyFloat_FromDouble(height - y1),
                              PyFloat_FromDouble(height - y0)};
            if (append_new(rules, &rule, v) < 0) goto done;
        } else if (h <= 2.5 && w > 4) {
            Py_INCREF(x0_obj); Py_INCREF(x1_obj);
            PyObject *v[3] = {PyFloat_FromDouble(height - (y0 + y1) / 2), x0_obj, x1_obj};
            if (append_new(hrules, &hrule, v) < 0) goto done;
        } else if (is_rect && w > 2.5 && h > 2.5) {
            Py_INCREF(x0_obj); Py_INCREF(x0_obj); Py_INCREF(x0_obj);
            Py_INCREF(x1_obj); Py_INCREF(x1_obj); Py_INCREF(x1_obj);
            PyObject *left[3] = {x0_obj, PyFloat_FromDouble(height - y1), PyFloat_FromDouble(height - y0)};
            PyObject *right[3] = {x1_obj, PyFloat_FromDouble(height - y1), PyFloat_FromDouble(height - y0)};
            PyObject *upper[3] = {PyFloat_FromDouble(height - y1), x0_obj, x1_obj};
            PyObject *lower[3] = {PyFloat_FromDouble(height - y0), x0_obj, x1_obj};
            int failed = append_new(rules, &rule, left) < 0;
            failed = append_new(rules, &rule, right) < 0 || failed;
            failed = append_new(hrules, &hrule, upper) < 0 || failed;
            failed = append_new(hrules, &hrule, lower) < 0 || failed;
            if (failed) goto done;
        }
    }
    result = PyTuple_Pack(3, glyphs, rules, hrules);
done:
    Py_XDECREF(glyphs); Py_XDECREF(rules); Py_XDECREF(hrules);
    slots_class_free(&glyph); slots_class_free(&rule); slots_class_free(&hrule);
    return result;
}

/* ---------------------------------------------------------------- layout: one run of glyphs as text */

static PyObject *name_x0, *name_x1, *name_top, *name_bottom, *name_text;

static int glyph_figures(PyObject *g, double *x0, double *x1, double *top, double *bottom) {
    PyObject *v[4] = {PyObject_GetAttr(g, name_x0), PyObject_GetAttr(g, name_x1), PyObject_GetAttr(g, name_top),
                      PyObject_GetAttr(g, name_bottom)};
    double *out[4] = {x0, x1, top, bottom};
    int failed = 0;
    for (int k = 0; k < 4; k++) {
        if (!v[k]) { failed = 1; continue; }
        *out[k] = PyFloat_AsDouble(v[k]);
        if (*out[k] == -1.0 && PyErr_Occurred()) failed = 1;
        Py_DECREF(v[k]);
    }
    return failed ? -1 : 0;
}

static inline int is_cjk(Py_UCS4 o) {  /* `common.is_cjk` */
    return (0x3400 <= o && o <= 0x4DBF) || (0x4E00 <= o && o <= 0x9FFF) || (0xF900 <= o && o <= 0xFAFF);
}

/* `layout._join_python` over items[0..n): a space for a word gap, a tab for a column gap */
static PyObject *join_items(PyObject *const *items, Py_ssize_t n, int has_tab_gap, double tab_gap) {
    if (n == 0) return PyUnicode_FromString("");
    if (n == 1) return PyObject_GetAttr(items[0], name_text);
    PyObject *parts = PyList_New(0);
    if (!parts) return NULL;
    PyObject *tab = NULL, *space = NULL, *prev_text = NULL, *result = NULL;
    double prev_x1 = 0.0, prev_height = 0.0;
    int have_prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *g = items[i];
        double x0, x1, top, bottom;
        if (glyph_figures(g, &x0, &x1, &top, &bottom) < 0) goto done;
        PyObject *text = PyObject_GetAttr(g, name_text);
        if (!text) goto done;
        if (!PyUnicode_Check(text)) { Py_DECREF(text); PyErr_SetString(PyExc_TypeError, "glyph text"); goto done; }
        double height = bottom - top;
        if (!(height > 0.1)) height = 0.1;
        if (have_prev && PyUnicode_GET_LENGTH(text) > 0) {
            double gap = x0 - prev_x1;
            double size = height < prev_height ? height : prev_height;
            PyObject *sep = NULL;
            if (has_tab_gap && gap > tab_gap) {
                sep = tab ? tab : (tab = PyUnicode_FromString("\t"));
            } else if (gap > 0.25 * size) {
                int both_cjk = 0;
                if (is_cjk(PyUnicode_READ_CHAR(text, 0))) {  /* then prev.text[-1], as Python evaluates it */
                    Py_ssize_t prev_len = PyUnicode_GET_LENGTH(prev_text);
                    if (prev_len == 0) {
                        Py_DECREF(text);
                        PyErr_SetString(PyExc_IndexError, "string index out of range");
                        goto done;
                    }
                    both_cjk = is_cjk(PyUnicode_READ_CHAR(prev_text, prev_len - 1));
                }
                if (!(both_cjk && gap < 0.9 * size)) sep = space ? space : (space = PyUnicode_FromString(" "));
            }
            if (sep == NULL && PyErr_Occurred()) { Py_DECREF(text); goto done; }
            if (sep && PyList_Append(parts, sep) < 0) { Py_DECREF(text); goto done; }
        }
        if (PyList_Append(parts, text) < 0) { Py_DECREF(text); goto done; }
        Py_XDECREF(prev_text);
        prev_text = text;  /* owned */
        prev_x1 = x1;
        prev_height = height;
        have_prev = 1;
    }
    {
        PyObject *empty = PyUnicode_FromString("");
        if (empty) {
            result = PyUnicode_Join(empty, parts);
            Py_DECREF(empty);
        }
    }
done:
    Py_XDECREF(prev_text); Py_XDECREF(tab); Py_XDECREF(space);
    Py_DECREF(parts);
    return result;
}

/* join(glyphs, tab_gap) -> str: `layout._join_python` */
static PyObject *join(PyObject *self, PyObject *args) {
    PyObject *glyphs, *tab_gap_obj;
    if (!PyArg_ParseTuple(args, "OO", &glyphs, &tab_gap_obj)) return NULL;
    int has_tab_gap = tab_gap_obj != Py_None;
    double tab_gap = has_tab_gap ? PyFloat_AsDouble(tab_gap_obj) : 0.0;
    if (has_tab_gap && tab_gap == -1.0 && PyErr_Occurred()) return NULL;
    PyObject *seq = PySequence_Fast(glyphs, "glyphs");
    if (!seq) return NULL;
    PyObject *result = join_items(PySequence_Fast_ITEMS(seq), PySequence_Fast_GET_SIZE(seq), has_tab_gap, tab_gap);
    Py_DECREF(seq);
    return result;
}

/* ---------------------------------------------------------------- layout: lines and cells */

static int float_attr(PyObject *g, PyObject *name, double *out) {
    /* 1: a float (not NaN) read; 0: not a float or NaN (the caller leaves the work to Python); -1: error */
    PyObject *v = PyObject_GetAttr(g, name);
    if (!v) return -1;
    int ok = PyFloat_CheckExact(v);
    if (ok) {
        *out = PyFloat_AS_DOUBLE(v);
        ok = !isnan(*out);
    }
    Py_DECREF(v);
    return ok;
}

typedef struct { double yc, x0, top, bottom; Py_ssize_t index, order; } Placed;

static int by_yc_x0(const void *p, const void *q) {  /* `layout._yc_x0`, ties kept in input order */
    const Placed *a = p, *b = q;
    if (a->yc != b->yc) return a->yc < b->yc ? -1 : 1;
    if (a->x0 != b->x0) return a->x0 < b->x0 ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static int by_x0(const void *p, const void *q) {  /* `layout._x0`, ties kept in line order */
    const Placed *a = p, *b = q;
    if (a->x0 != b->x0) return a->x0 < b->x0 ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* group_lines(glyphs) -> list of lines, or None when a figure is not a float or is NaN (then
 * `layout._group_lines_python` decides, as Python's sort orders such keys its own way) */
static PyObject *group_lines(PyObject *self, PyObject *args) {
    PyObject *glyphs;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &glyphs)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(glyphs);
    Placed *items = PyMem_Malloc((n ? n : 1) * sizeof(Placed));
    Py_ssize_t *starts = PyMem_Malloc((n + 1) * sizeof(Py_ssize_t));
    PyObject *lines = NULL;
    if (!items || !starts) { PyErr_NoMemory(); goto fail; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *g = PyList_GET_ITEM(glyphs, i);
        Placed *it = &items[i];
        int r;
        if ((r = float_attr(g, name_top, &it->top)) <= 0 || (r = float_attr(g, name_bottom, &it->bottom)) <= 0 ||
            (r = float_attr(g, name_x0, &it->x0)) <= 0) {
            if (r < 0) goto fail;
            PyMem_Free(items); PyMem_Free(starts);
            Py_RETURN_NONE;
        }
        it->yc = (it->top + it->bottom) / 2;
        if (isnan(it->yc)) { PyMem_Free(items); PyMem_Free(starts); Py_RETURN_NONE; }
        it->index = i;
    }
    qsort(items, n, sizeof(Placed), by_yc_x0);
    Py_ssize_t nlines = 0;
    double top = 0, bottom = 0, centre = 0, reach = 0, height = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double g_top = items[i].top, g_bottom = items[i].bottom;
        items[i].order = i;
        if (nlines) {
            double g_height = g_bottom - g_top;
            if (!(g_height > 0.1)) g_height = 0.1;
            double overlap = (g_bottom < bottom ? g_bottom : bottom) - (g_top > top ? g_top : top);
            double gap = (g_top + g_bottom) / 2 - centre;
            if (overlap >= 0.5 * (height < g_height ? height : g_height) && (gap >= 0 ? gap : -gap) < reach) continue;
        }
        starts[nlines++] = i;
        top = g_top; bottom = g_bottom;
        height = bottom - top; centre = (top + bottom) / 2;
        reach = 0.7 * height;
    }
    starts[nlines] = n;
    lines = PyList_New(nlines);
    if (!lines) goto fail;
    for (Py_ssize_t k = 0; k < nlines; k++) {
        Py_ssize_t lo = starts[k], hi = starts[k + 1];
        qsort(items + lo, hi - lo, sizeof(Placed), by_x0);
        PyObject *line = PyList_New(hi - lo);
        if (!line) goto fail;
        for (Py_ssize_t i = lo; i < hi; i++) {
            PyObject *g = PyList_GET_ITEM(glyphs, items[i].index);
            Py_INCREF(g);
            PyList_SET_ITEM(line, i - lo, g);
        }
        PyList_SET_ITEM(lines, k, line);
    }
    PyMem_Free(items); PyMem_Free(starts);
    return lines;
fail:
    PyMem_Free(items); PyMem_Free(starts);
    Py_XDECREF(lines);
    return NULL;
}

/* cells(line, xs, open_edges) -> list[str], or None when a figure is not a float (then
 * `layout._cells_python`): the line's text per column interval of `xs`, as `_cells_python` */
static PyObject *cells(PyObject *self, PyObject *args) {
    PyObject *line, *xs_list, *open_list;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyList_Type, &line, &PyList_Type, &xs_list, &open_list)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(line), m = PyList_GET_SIZE(xs_list);
    if (m < 1) { PyErr_SetString(PyExc_IndexError, "list index out of range"); return NULL; }
    int has_open = open_list != Py_None && PyObject_IsTrue(open_list);
    if (has_open < 0) return NULL;
    Py_ssize_t nopen = has_open ? PyList_Size(open_list) : 0;
    if (nopen < 0) return NULL;
    double *xs = PyMem_Malloc(m * sizeof(double));
    char *open_edge = PyMem_Malloc(nopen + 1);
    Py_ssize_t *column = PyMem_Malloc((n ? n : 1) * sizeof(Py_ssize_t));  /* -1 before, -2 after, -3 dropped */
    PyObject **members = PyMem_Malloc((n ? n : 1) * sizeof(PyObject *));
    PyObject *parts = NULL, *result = NULL;
    if (!xs || !open_edge || !column || !members) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *x = PyList_GET_ITEM(xs_list, k);
        if (!PyFloat_CheckExact(x)) { result = Py_None; Py_INCREF(result); goto done; }
        xs[k] = PyFloat_AS_DOUBLE(x);
    }
    for (Py_ssize_t k = 0; k < nopen; k++) {
        int truth = PyObject_IsTrue(PyList_GET_ITEM(open_list, k));
        if (truth < 0) goto done;
        open_edge[k] = (char)truth;
    }
    double first = xs[0], last = xs[m - 1];
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *g = PyList_GET_ITEM(line, j);
        double x0, x1;
        int r = float_attr(g, name_x0, &x0);
        if (r > 0) r = float_attr(g, name_x1, &x1);
        if (r < 0) goto done;
        if (r == 0) { result = Py_None; Py_INCREF(result); goto done; }  /* not floats, or NaN: Python decides */
        double xc = (x0 + x1) / 2;
        if (xc < first) column[j] = -1;
        else if (xc > last) column[j] = -2;
        else if (first <= xc) {
            Py_ssize_t lo = 1, hi = m;  /* bisect_left(xs, xc, 1) */
            while (lo < hi) {
                Py_ssize_t mid = (lo + hi) / 2;
                if (xs[mid] < xc) lo = mid + 1; else hi = mid;
            }
            Py_ssize_t i = lo - 1;
            if (has_open) {
                while (i > 0) {
                    if (i - 1 >= nopen) { PyErr_SetString(PyExc_IndexError, "list index out of range"); goto done; }
                    if (!open_edge[i - 1]) break;
                    i--;
                }
            }
            if (i >= m - 1) { PyErr_SetString(PyExc_IndexError, "list index out of range"); goto done; }
            column[j] = i;
        } else column[j] = -3;
    }
    parts = PyList_New(0);
    if (!parts) goto done;
    Py_ssize_t before = 0, after = 0;
    for (Py_ssize_t j = 0; j < n; j++) { before += column[j] == -1; after += column[j] == -2; }
    for (Py_ssize_t c = (before ? -1 : 0); c < m - 1 + (after ? 1 : 0); c++) {
        Py_ssize_t want = c == -1 ? -1 : c == m - 1 ? -2 : c, count = 0;
        for (Py_ssize_t j = 0; j < n; j++)
            if (column[j] == want) members[count++] = PyList_GET_ITEM(line, j);
        PyObject *text = join_items(members, count, 0, 0.0);
        if (!text) goto done;
        int failed = PyList_Append(parts, text);
        Py_DECREF(text);
        if (failed) goto done;
    }
    result = parts;
    parts = NULL;
done:
    Py_XDECREF(parts);
    PyMem_Free(xs); PyMem_Free(open_edge); PyMem_Free(column); PyMem_Free(members);
    return result;
}

static PyMethodDef methods[] = {
    {"read_chars", read_chars, METH_VARARGS, "A text page's characters into a list (see pdf_chars.read_chars)."},
    {"read_objects", read_objects, METH_VARARGS, "A page's path subpaths into a list; returns its image count."},
    {"orient_upright", orient_upright, METH_VARARGS, "pdf._oriented of a page read left to right."},
    {"join", join, METH_VARARGS, "layout._join_python: one run of glyphs as text."},
    {"group_lines", group_lines, METH_VARARGS, "layout._group_lines_python, or None to leave it to Python."},
    {"cells", cells, METH_VARARGS, "layout._cells_python, or None to leave it to Python."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pdfium_loops", NULL, -1, methods};

PyMODINIT_FUNC PyInit__pdfium_loops(void) {
    name_x0 = PyUnicode_InternFromString("x0");
    name_x1 = PyUnicode_InternFromString("x1");
    name_top = PyUnicode_InternFromString("top");
    name_bottom = PyUnicode_InternFromString("bottom");
    name_text = PyUnicode_InternFromString("text");
    if (!name_x0 || !name_x1 || !name_top || !name_bottom || !name_text) return NULL;
    return PyModule_Create(&module);
}
