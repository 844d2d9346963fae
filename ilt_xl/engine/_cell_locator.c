/* The cells of a span of sheet XML located in one pass over its bytes: a compiled twin of
 * ilt_xl/engine/formula_cell_bounds.py and value_cell_bounds.py (see ilt_xl/engine/cell_locator.py).
 *
 * The numpy locators read every "<" of the span at once, then each cell's tags by their rank among
 * them: a dozen passes over the span and arrays as long as its tags. Here each "<" is met once,
 * in order, and a cell the checks take is stepped over whole (no tag inside it can start another
 * cell). The checks are those of the numpy locators, one for one (each comment names the check it
 * stands for); a span where one fails gives None, and the pattern decides it as before.
 *
 * Bytes are read only below n (the span's size): where the numpy locators read the zero padding
 * past the span, byte() gives 0 and starts_with() fails (no tag text holds a zero byte).
 * Results are int64 columns, one after the other, in a bytearray (numpy.frombuffer reads them), and
 * the distinct texts of the grouped pieces, as pandas.factorize gives them (order of first appearance).
 *
 * The rest of a span's scan that numpy did by gathers or Python by passes over the bytes is here too,
 * each function the twin of one there (the tests hold them to it): texts cut out and put together
 * (byte_positions.joined, between, marked), texts grouped (value_cells.PositionedTexts.factorize),
 * and the bytes' doubt (scan_check.text_doubt).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

typedef Py_ssize_t Pos;

typedef struct {
    const unsigned char *s;
    Pos n;
} Span;

static inline int byte(const Span *sp, Pos i) { return i < sp->n ? sp->s[i] : 0; }

/* the first `byte` at or after `from`, else n (as the locators' sentinel positions) */
static inline Pos next_of(const Span *sp, Pos from, int b)
{
    if (from >= sp->n)
        return sp->n;
    const unsigned char *p = memchr(sp->s + from, b, (size_t)(sp->n - from));
    return p ? p - sp->s : sp->n;
}

static inline int starts_with(const Span *sp, Pos at, const char *text, Pos size)
{
    return at + size <= sp->n && memcmp(sp->s + at, text, (size_t)size) == 0;
}
#define HOLDS(sp, at, literal) starts_with(sp, at, literal, (Pos)sizeof(literal) - 1)

/* byte_positions.references: one to three capitals, one to seven digits, then a quote (an eighth digit
 * already refuses it: no more are read) */
static int reference(const Span *sp, Pos at, int64_t *row, int64_t *col, Pos *end)
{
    Pos letters = 0, digits = 0;
    int64_t c = 0, r = 0;
    while (letters < 3 && byte(sp, at + letters) >= 'A' && byte(sp, at + letters) <= 'Z') {
        c = c * 26 + byte(sp, at + letters) - 64;
        letters++;
    }
    while (digits < 8 && byte(sp, at + letters + digits) >= '0' && byte(sp, at + letters + digits) <= '9') {
        r = r * 10 + byte(sp, at + letters + digits) - '0';
        digits++;
    }
    *row = r, *col = c, *end = at + letters + digits;
    return letters >= 1 && digits >= 1 && digits <= 7 && byte(sp, *end) == '"';
}

/* Growable int64 records, `width` per cell; transposed into columns at the end. */
typedef struct {
    int64_t *data;
    Pos count, capacity, width;
} Records;

static int64_t *new_record(Records *rec)
{
    if (rec->count == rec->capacity) {
        Pos capacity = rec->capacity ? 2 * rec->capacity : 1024;
        int64_t *data = PyMem_Realloc(rec->data, (size_t)(capacity * rec->width) * sizeof(int64_t));
        if (!data)
            return NULL;
        rec->data = data, rec->capacity = capacity;
    }
    return rec->data + rec->width * rec->count++;
}

static PyObject *columns(const Records *rec)
{
    PyObject *out = PyByteArray_FromStringAndSize(NULL, rec->count * rec->width * (Pos)sizeof(int64_t));
    if (!out)
        return NULL;
    int64_t *col = (int64_t *)PyByteArray_AS_STRING(out);
    for (Pos k = 0; k < rec->width; k++)
        for (Pos i = 0; i < rec->count; i++)
            *col++ = rec->data[i * rec->width + k];
    return out;
}

/* Texts of the span grouped by their bytes (pandas.factorize): open addressing on a hash of the
 * bytes, each distinct text kept as its first (start, size). */
typedef struct {
    Pos *slots;         /* code + 1, or 0 for a free slot */
    Pos mask;
    Pos *start, *size;
    uint64_t *hash;
    Pos count, capacity;
} Groups;

static uint64_t hash_of(const unsigned char *p, Pos size)
{
    uint64_t h = (uint64_t)size * 0x9E3779B97F4A7C15ull;
    for (; size >= 8; p += 8, size -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, p, (size_t)size);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 32);
}

static int grow_groups(Groups *g)
{
    Pos capacity = g->capacity ? 2 * g->capacity : 64;
    Pos *start = PyMem_Realloc(g->start, (size_t)capacity * sizeof(Pos));
    if (start) g->start = start;
    Pos *size = PyMem_Realloc(g->size, (size_t)capacity * sizeof(Pos));
    if (size) g->size = size;
    uint64_t *hash = PyMem_Realloc(g->hash, (size_t)capacity * sizeof(uint64_t));
    if (hash) g->hash = hash;
    Pos *slots = PyMem_Calloc((size_t)(2 * capacity), sizeof(Pos));
    if (!start || !size || !hash || !slots) {
        PyMem_Free(slots);
        return -1;
    }
    PyMem_Free(g->slots);
    g->slots = slots, g->mask = 2 * capacity - 1, g->capacity = capacity;
    for (Pos k = 0; k < g->count; k++) {
        Pos i = (Pos)(g->hash[k] & (uint64_t)g->mask);
        while (slots[i])
            i = (i + 1) & g->mask;
        slots[i] = k + 1;
    }
    return 0;
}

/* the code of span[start:end], a new one for a text not seen before; -1 when out of memory */
static Pos group(Groups *g, const Span *sp, Pos start, Pos end)
{
    Pos size = end - start;
    uint64_t h = hash_of(sp->s + start, size);
    if (g->count == g->capacity && grow_groups(g) < 0)
        return -1;
    Pos i = (Pos)(h & (uint64_t)g->mask);
    for (; g->slots[i]; i = (i + 1) & g->mask) {
        Pos k = g->slots[i] - 1;
        if (g->hash[k] == h && g->size[k] == size && memcmp(sp->s + g->start[k], sp->s + start, (size_t)size) == 0)
            return k;
    }
    g->start[g->count] = start, g->size[g->count] = size, g->hash[g->count] = h;
    g->slots[i] = ++g->count;
    return g->count - 1;
}

static PyObject *distinct(const Groups *g, const Span *sp)
{
    PyObject *out = PyList_New(g->count);
    for (Pos k = 0; out && k < g->count; k++) {
        PyObject *text = PyBytes_FromStringAndSize((const char *)sp->s + g->start[k], g->size[k]);
        if (!text)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, k, text);
    }
    return out;
}

static void free_groups(Groups *g)
{
    PyMem_Free(g->slots), PyMem_Free(g->start), PyMem_Free(g->size), PyMem_Free(g->hash);
}

/* after "<f", what the pattern takes: ">", "/" or a white-space character (\s) */
static inline int after_f(int c) { return c == '>' || c == '/' || c == ' ' || (c >= 9 && c <= 13); }

enum { F_STARTS, F_ENDS, F_ROWS, F_COLS, F_REF_ENDS, F_F_STARTS, F_F_ENDS, F_V_STARTS, F_V_ENDS, F_ATTRS, F_ELEMENTS,
       F_WIDTH };
static const char V_PRESERVE[] = "<v xml:space=\"preserve\">";

/* formula_cell_bounds: 1 when the span's formula cells are all taken (recorded), 0 when one is
 * left to the pattern, -1 when out of memory */
static int locate_formula_cells(const Span *sp, Records *rec, Groups *attrs, Groups *elements)
{
    Pos previous = -1;          /* the "<" before this one: a formula cell's start */
    for (Pos p = next_of(sp, 0, '<'); p < sp->n;) {
        if (byte(sp, p + 1) != 'f' || !after_f(byte(sp, p + 2))) {
            previous = p;
            p = next_of(sp, p + 1, '<');
            continue;
        }
        Pos start = previous, ref_end, close_tag, tag_end, f_end, v_start, v_end, end;
        int64_t row, col;
        if (start < 0)                                  /* <f with no tag before it in the span */
            return 0;
        /* <c r="REF" ATTRS> right before <f: the first ">" after the cell's start is the one before <f */
        if (!HOLDS(sp, start, "<c r=\"") || byte(sp, p - 1) != '>' || memchr(sp->s + start, '>', (size_t)(p - 1 - start)))
            return 0;
        if (!reference(sp, start + 6, &row, &col, &ref_end))
            return 0;
        /* the <f> element: <f>TEXT</f>, <f ATTRS/> or <f ATTRS>TEXT</f>, with no "<" but its own */
        tag_end = next_of(sp, p, '>');
        close_tag = next_of(sp, p + 1, '<');
        if (tag_end >= close_tag)
            return 0;
        int closed = byte(sp, tag_end - 1) == '/' && tag_end - 1 >= p + 2;
        if (!closed && !HOLDS(sp, close_tag, "</f>"))
            return 0;
        f_end = closed ? tag_end + 1 : close_tag + 4;
        /* then <v>TEXT</v></c>, <v xml:space="preserve">TEXT</v></c> or </c> at once */
        int plain_v = HOLDS(sp, f_end, "<v>"), preserve_v = HOLDS(sp, f_end, V_PRESERVE);
        if (plain_v || preserve_v) {
            v_start = f_end + (preserve_v ? (Pos)sizeof(V_PRESERVE) - 1 : 3);
            v_end = next_of(sp, f_end + 1, '<');
            if (!HOLDS(sp, v_end, "</v></c>"))
                return 0;
            end = v_end + 8;
        } else {
            if (!HOLDS(sp, f_end, "</c>"))
                return 0;
            v_start = v_end = f_end;
            end = f_end + 4;
        }
        int64_t *r = new_record(rec);
        Pos attr = group(attrs, sp, ref_end + 1, p - 1), element = group(elements, sp, p, f_end);
        if (!r || attr < 0 || element < 0)
            return -1;
        r[F_STARTS] = start, r[F_ENDS] = end, r[F_ROWS] = row, r[F_COLS] = col, r[F_REF_ENDS] = ref_end;
        r[F_F_STARTS] = p, r[F_F_ENDS] = f_end, r[F_V_STARTS] = v_start, r[F_V_ENDS] = v_end;
        r[F_ATTRS] = attr, r[F_ELEMENTS] = element;
        /* no "<" inside the cell starts an <f: on past it ("</c>" is the "<" before the next one) */
        previous = end - 4;
        p = next_of(sp, end, '<');
    }
    return 1;
}

enum { V_STARTS, V_ENDS, V_ROWS, V_COLS, V_REF_ENDS, V_TAG_ENDS, V_TEXT_STARTS, V_TEXT_ENDS, V_ATTRS, V_WIDTH };
static const char IS_PRESERVE[] = "<is><t xml:space=\"preserve\">";

/* value_cell_bounds: as locate_formula_cells */
static int locate_value_cells(const Span *sp, Records *rec, Groups *attrs)
{
    for (Pos p = next_of(sp, 0, '<'); p < sp->n;) {
        if (!HOLDS(sp, p, "<c r=\"")) {
            p = next_of(sp, p + 1, '<');
            continue;
        }
        /* the start tag runs to the next "<" (none in the tag), a ">" right before it */
        Pos after = next_of(sp, p + 1, '<'), tag_end = after - 1, ref_end, close;
        int plain_tag = byte(sp, tag_end) == '>';
        int64_t row, col;
        int good_ref = reference(sp, p + 6, &row, &col, &ref_end);
        int v = HOLDS(sp, after, "<v>"), is = HOLDS(sp, after, "<is><t>"), preserve = HOLDS(sp, after, IS_PRESERVE);
        /* the text runs to the next "<", which must close the cell */
        close = next_of(sp, after + 1, '<');
        if (!v)
            close = next_of(sp, close + 1, '<');
        int v_closed = v && HOLDS(sp, close, "</v></c>");
        int text = (is || preserve) && HOLDS(sp, close, "</t></is></c>");
        if (!((v_closed || text) && good_ref && plain_tag)) {
            /* an empty cell (<c r="A1" s="2"/>), which the pattern leaves, or one left to it */
            if (v_closed || is || preserve || !plain_tag || byte(sp, tag_end - 1) != '/')
                return 0;
            p = after;
            continue;
        }
        /* the pattern ends the start tag at its first ">": one inside the attributes is left to it */
        if (memchr(sp->s + ref_end + 1, '>', (size_t)(tag_end - ref_end - 1)))
            return 0;
        int64_t *r = new_record(rec);
        Pos attr = group(attrs, sp, ref_end + 1, tag_end);
        if (!r || attr < 0)
            return -1;
        r[V_STARTS] = p, r[V_ENDS] = close + (v_closed ? 8 : 13), r[V_ROWS] = row, r[V_COLS] = col;
        r[V_REF_ENDS] = ref_end, r[V_TAG_ENDS] = tag_end;
        r[V_TEXT_STARTS] = after + (v_closed ? 3 : preserve ? (Pos)sizeof(IS_PRESERVE) - 1 : 7);
        r[V_TEXT_ENDS] = close, r[V_ATTRS] = attr;
        p = next_of(sp, r[V_ENDS], '<');        /* no "<" inside the cell starts another */
    }
    return 1;
}

/* the span: the first n bytes of a buffer */
static int span_of(PyObject *args, Py_buffer *view, Span *sp)
{
    Pos n;
    if (!PyArg_ParseTuple(args, "y*n", view, &n))
        return -1;
    if (n < 0 || n > view->len) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "n lies outside the buffer");
        return -1;
    }
    sp->s = view->buf, sp->n = n;
    return 0;
}

/* formula_cells, value_cells: the span's cells located (formula cells or value cells) */
static PyObject *located(PyObject *args, int formulas)
{
    Py_buffer view;
    Span sp;
    if (span_of(args, &view, &sp) < 0)
        return NULL;
    Records rec = {NULL, 0, 0, formulas ? F_WIDTH : V_WIDTH};
    Groups attrs = {0}, elements = {0};
    PyObject *out = NULL;
    int found = formulas ? locate_formula_cells(&sp, &rec, &attrs, &elements) : locate_value_cells(&sp, &rec, &attrs);
    if (found < 0)
        PyErr_NoMemory();
    else if (found == 0)
        out = Py_NewRef(Py_None);
    else if (formulas)
        out = Py_BuildValue("(NNN)", columns(&rec), distinct(&attrs, &sp), distinct(&elements, &sp));
    else
        out = Py_BuildValue("(NN)", columns(&rec), distinct(&attrs, &sp));
    PyMem_Free(rec.data), free_groups(&attrs), free_groups(&elements);
    PyBuffer_Release(&view);
    return out;
}

static PyObject *formula_cells(PyObject *self, PyObject *args) { return located(args, 1); }

static PyObject *value_cells(PyObject *self, PyObject *args) { return located(args, 0); }

/* Pieces of a span cut out and put together, as byte_positions.joined, between and marked do with
 * numpy gathers; the items are span[starts[i]:ends[i]], given as int64 buffers. */
typedef struct {
    Py_buffer span, starts, ends;
    const int64_t *s, *e;
    Pos m;
} Items;

static void release(Items *it) { PyBuffer_Release(&it->span), PyBuffer_Release(&it->starts), PyBuffer_Release(&it->ends); }

/* Every item lies in the first n bytes of the span; `ordered`: each begins at or after the one
 * before it ends (and after `first`): what between and marked assume. */
static int check(Items *it, Pos n, Pos first, int ordered)
{
    it->s = it->starts.buf, it->e = it->ends.buf, it->m = it->starts.len / 8;
    int ok = it->starts.len == it->ends.len && it->starts.len % 8 == 0 && 0 <= first && n <= it->span.len;
    for (Pos i = 0; ok && i < it->m; i++) {
        ok = first <= it->s[i] && it->s[i] <= it->e[i] && it->e[i] <= n;
        if (ordered)
            first = it->e[i];
    }
    if (!ok) {
        release(it);
        PyErr_SetString(PyExc_ValueError, "items outside the span, or out of order");
    }
    return ok ? 0 : -1;
}

/* The arguments (span, starts, ends) of the entry points that take items anywhere in the whole span
 * (joined, grouped, numbers); -1 with the exception set (the buffers released) */
static int items_of(PyObject *args, Items *it)
{
    if (!PyArg_ParseTuple(args, "y*y*y*", &it->span, &it->starts, &it->ends))
        return -1;
    return check(it, it->span.len, 0, 0);
}

static char *copy(char *out, const Items *it, Pos from, Pos to)
{
    memcpy(out, (const char *)it->span.buf + from, (size_t)(to - from));
    return out + (to - from);
}

/* joined(span, starts, ends): the items NUL-joined */
static PyObject *joined(PyObject *self, PyObject *args)
{
    Items it;
    if (items_of(args, &it) < 0)
        return NULL;
    Pos size = it.m ? it.m - 1 : 0;
    for (Pos i = 0; i < it.m; i++)
        size += it.e[i] - it.s[i];
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out) {
        char *o = PyBytes_AS_STRING(out);
        for (Pos i = 0; i < it.m; i++) {
            if (i)
                *o++ = 0;
            o = copy(o, &it, it.s[i], it.e[i]);
        }
    }
    release(&it);
    return out;
}

/* between(span, first, starts, ends): the texts before each item (the first from `first`, each next
 * from the end of the item before), NUL-joined */
static PyObject *between(PyObject *self, PyObject *args)
{
    Items it;
    Pos first;
    if (!PyArg_ParseTuple(args, "y*ny*y*", &it.span, &first, &it.starts, &it.ends))
        return NULL;
    if (check(&it, it.span.len, first, 1) < 0)
        return NULL;
    Pos size = it.m ? it.m - 1 : 0;
    for (Pos i = 0; i < it.m; i++)
        size += it.s[i] - (i ? it.e[i - 1] : first);
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out) {
        char *o = PyBytes_AS_STRING(out);
        for (Pos i = 0; i < it.m; i++) {
            if (i)
                *o++ = 0;
            o = copy(o, &it, i ? it.e[i - 1] : first, it.s[i]);
        }
    }
    release(&it);
    return out;
}

/* marked(span, n, starts, ends, marker): the span's n bytes with `marker` where each run of items
 * was (items one right after the other make one run); a span of items only gives two markers */
static PyObject *marked(PyObject *self, PyObject *args)
{
    Items it;
    Pos n;
    const char *marker;
    Pos size;
    if (!PyArg_ParseTuple(args, "y*ny*y*y#", &it.span, &n, &it.starts, &it.ends, &marker, &size))
        return NULL;
    if (check(&it, n, 0, 1) < 0)
        return NULL;
    Pos runs = 0, kept = n;
    for (Pos i = 0; i < it.m; i++) {
        runs += !i || it.s[i] != it.e[i - 1];
        kept -= it.e[i] - it.s[i];
    }
    int whole = runs == 1 && it.s[0] == 0 && it.e[it.m - 1] == n;
    PyObject *out = PyBytes_FromStringAndSize(NULL, whole ? 2 * size : it.m || n ? kept + runs * size : size);
    if (out) {
        char *o = PyBytes_AS_STRING(out);
        Pos from = 0;
        for (Pos i = 0; i < it.m; i++) {
            if (!i || it.s[i] != it.e[i - 1]) {
                o = copy(o, &it, from, it.s[i]);
                memcpy(o, marker, (size_t)size), o += size;
            }
            from = it.e[i];
        }
        if (whole || (!it.m && !n))
            memcpy(o, marker, (size_t)size);
        else
            copy(o, &it, from, n);
    }
    release(&it);
    return out;
}

/* grouped(span, starts, ends): the items grouped by their bytes as pandas.factorize groups them:
 * (int64 codes, the distinct texts in order of first appearance) */
static PyObject *grouped(PyObject *self, PyObject *args)
{
    Items it;
    if (items_of(args, &it) < 0)
        return NULL;
    Span sp = {it.span.buf, it.span.len};
    Groups groups = {0};
    PyObject *out = NULL, *codes = PyByteArray_FromStringAndSize(NULL, it.m * (Pos)sizeof(int64_t));
    int64_t *code = codes ? (int64_t *)PyByteArray_AS_STRING(codes) : NULL;
    for (Pos i = 0; code && i < it.m; i++)
        if ((code[i] = group(&groups, &sp, it.s[i], it.e[i])) < 0)
            code = NULL, PyErr_NoMemory();
    if (code)
        out = Py_BuildValue("(ON)", codes, distinct(&groups, &sp));
    Py_XDECREF(codes);
    free_groups(&groups);
    release(&it);
    return out;
}

/* the code of the character the reference at `at` stands for ("&#65;", "&#x41;"; a space for an entity,
 * "&amp;" ...), -1 when it is none of the references scan_check._REFERENCE takes */
static long reference_code(const unsigned char *s, Pos n, Pos at)
{
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (int k = 0; k < 5; k++)
        if (at + (Pos)strlen(entities[k]) <= n && memcmp(s + at, entities[k], strlen(entities[k])) == 0)
            return ' ';
    int hex = at + 2 < n && s[at + 1] == '#' && s[at + 2] == 'x';
    Pos i = at + 2 + hex, most = hex ? 6 : 7;
    long code = 0;
    if (at + 1 >= n || s[at + 1] != '#')
        return -1;
    for (; i < n && i - (at + 2 + hex) < most + 1; i++) {
        int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : !hex ? -1 : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            break;
        code = code * (hex ? 16 : 10) + d;
    }
    Pos digits = i - (at + 2 + hex);
    return digits >= 1 && digits <= most && i < n && s[i] == ';' ? code : -1;
}

/* Whether any of the 8 bytes at p is one text_doubt looks at: a control character, not ASCII, "]" or
 * "&" (most are none: 8 bytes at a time, each test true exactly when some byte is one). */
static inline int worth_a_look(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w, brackets, ampersands;
    memcpy(&w, p, 8);
    brackets = w ^ (ones * ']'), ampersands = w ^ (ones * '&');
    return ((((w - ones * 0x20) & ~w) | w | ((brackets - ones) & ~brackets) | ((ampersands - ones) & ~ampersands))
            & highs) != 0;
}

/* text_doubt(data): (whether the bytes hold what could make a text not XML, as scan_check.text_doubt
 * finds it: a control character XML refuses, "]]>", an "&" that starts no reference XML takes, or a
 * reference to a character XML refuses; whether every byte is ASCII). The UTF-8 of other bytes is
 * left to Python's decoder. */
static PyObject *text_doubt(PyObject *self, PyObject *args)
{
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view))
        return NULL;
    const unsigned char *s = view.buf;
    Pos n = view.len;
    int doubt = 0, ascii = 1;
    for (Pos i = 0; i < n && !doubt;) {
        if (i + 8 <= n && !worth_a_look(s + i)) {
            i += 8;
            continue;
        }
        for (Pos end = i + 8 < n ? i + 8 : n; i < end && !doubt; i++) {
            int c = s[i];
            if (c < 0x20)
                doubt = c != '\t' && c != '\n' && c != '\r';
            else if (c >= 0x80)
                ascii = 0;
            else if (c == ']')
                doubt = i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>';
            else if (c == '&') {
                long code = reference_code(s, n, i);
                doubt = !(code == 0x9 || code == 0xA || code == 0xD || (0x20 <= code && code <= 0xD7FF)
                          || (0xE000 <= code && code <= 0xFFFD) || (0x10000 <= code && code <= 0x10FFFF));
            }
        }
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(OO)", doubt ? Py_True : Py_False, ascii ? Py_True : Py_False);
}

/* Plain rows (scan_check.plain_rows): a sheetData start tag, then rows, empty cells, markers and white
 * space in the one layout whose every instance is well-formed content that holds nothing of a namespace
 * (see there). Each test below stands for what well-formedness (or the patterns of
 * sheet_scan._cells_accounted) asks; whatever is not taken gives 0 (the expat pass decides). */
static inline int blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static inline int letter(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static inline int decimal(int c) { return c >= '0' && c <= '9'; }

#define MOST_ATTRIBUTES 16

/* the attributes of a tag from `at` up to its ">" or "/>" (left at `*end`): each after white space,
 * an ASCII name not starting "xml" (no prefix, no namespace declaration), ="...", its value printable
 * ASCII but < > & "; no name twice. 1 when taken. */
static int plain_attributes(const Span *sp, Pos at, Pos *end)
{
    Pos names[MOST_ATTRIBUTES], sizes[MOST_ATTRIBUTES], count = 0;
    for (;;) {
        Pos from = at;
        while (blank(byte(sp, at)))
            at++;
        if (byte(sp, at) == '>' || (byte(sp, at) == '/' && byte(sp, at + 1) == '>')) {
            *end = at;
            return 1;
        }
        if (at == from || !letter(byte(sp, at)) || count == MOST_ATTRIBUTES)
            return 0;
        Pos name = at;
        while (letter(byte(sp, at)) || decimal(byte(sp, at)))
            at++;
        Pos size = at - name;
        if (size >= 3 && (sp->s[name] | 0x20) == 'x' && (sp->s[name + 1] | 0x20) == 'm' && (sp->s[name + 2] | 0x20) == 'l')
            return 0;
        for (Pos k = 0; k < count; k++)
            if (sizes[k] == size && memcmp(sp->s + names[k], sp->s + name, (size_t)size) == 0)
                return 0;
        names[count] = name, sizes[count++] = size;
        if (byte(sp, at) != '=' || byte(sp, at + 1) != '"')
            return 0;
        for (at += 2; byte(sp, at) != '"'; at++) {
            int c = byte(sp, at);
            if (c < 0x20 || c > 0x7E || c == '<' || c == '>' || c == '&')
                return 0;
        }
        at++;
    }
}

/* plain_rows(skeleton): the size of the sheetData start tag the skeleton begins with when all of it
 * is plain rows, else 0 */
static PyObject *plain_rows(PyObject *self, PyObject *args)
{
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view))
        return NULL;
    Span sp = {view.buf, view.len};
    Pos at = 0, start_tag = 0;
    int in_row = 0, plain = HOLDS(&sp, 0, "<sheetData") && (blank(byte(&sp, 10)) || byte(&sp, 10) == '>')
                            && plain_attributes(&sp, 10, &at) && byte(&sp, at) == '>';
    start_tag = ++at;
    while (plain && at < sp.n) {
        if (blank(sp.s[at]))
            at++;
        else if (HOLDS(&sp, at, "<_/>"))
            at += 4;
        else if (HOLDS(&sp, at, "</row>") && in_row)
            at += 6, in_row = 0;
        else if (HOLDS(&sp, at, "<row") && !in_row && (blank(byte(&sp, at + 4)) || byte(&sp, at + 4) == '>'
                                                      || byte(&sp, at + 4) == '/')) {
            plain = plain_attributes(&sp, at + 4, &at);
            in_row = byte(&sp, at) == '>';
            at += in_row ? 1 : 2;
        } else if (HOLDS(&sp, at, "<c ") && in_row) {
            /* an empty cell, as sheet_scan._EMPTY_CELL counts it: "<c " then no ">" before its "/>" */
            plain = plain_attributes(&sp, at + 2, &at) && byte(&sp, at) == '/';
            at += 2;
        } else
            plain = 0;
    }
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(plain && !in_row ? start_tag : 0);
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 U128;

/* The shortest text that reads back to x (as Python's repr writes it) for 1e-4 <= |x| < 1e15, made with
 * exact integer arithmetic: x = m 2^e rounds back from any decimal inside the interval between the
 * midpoints to its neighbours (both midpoints included when m is even, as round-half-even reads them;
 * the lower neighbour is nearer when m is a power of two). In units of 10^q (17 to 19 digits of x),
 * that interval is the integers [lo, hi]; the shortest texts are the multiples of the largest power of
 * ten 10^j with one in [lo, hi], and repr writes the one nearest to x (dtoa's mode 0). Returns the
 * text's size in `out`, or -1 where this leaves it to PyOS_double_to_string: outside that range, a tie
 * for nearest, or a nearest multiple outside [lo, hi]. The tests hold it to repr on millions of doubles. */
static int short_text(double x, char *out)
{
    double a = fabs(x);
    if (!(a >= 1e-4 && a < 1e15))
        return -1;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int e = (int)(bits >> 52) - 1075, even = !(m & 1);
    int k = (int)floor(log10(a)) + 1;            /* 10^(k-1) <= a < 10^k, or k one off */
    int p = 18 - k;                               /* units 10^-p: 3 <= p <= 21 here */
    if (p < 0 || p > 21)
        return -1;
    U128 five = 1;
    for (int i = 0; i < p; i++)
        five *= 5;
    /* x, its interval's ends, in units of 2^(e-2) then times 10^p = 5^p 2^p: shifted by s = e - 2 + p */
    U128 v = (U128)(4 * m) * five, lo = (U128)(4 * m - (m == 1ULL << 52 ? 1 : 2)) * five, hi = (U128)(4 * m + 2) * five;
    int s = e - 2 + p, sh = s < 0 ? -s : 0;
    if (s > 0) {
        if (s > 20)
            return -1;
        v <<= s, lo <<= s, hi <<= s;
    }
    if (sh > 100)
        return -1;
    U128 mask = sh ? (((U128)1 << sh) - 1) : 0;
    U128 l = lo >> sh, h = hi >> sh, t = v >> sh, r = v & mask;
    if (lo & mask)
        l += 1;                                   /* ceil */
    else if (!even)
        l += 1;                                   /* an end exactly on the grid, excluded */
    if (!(hi & mask) && !even)
        h -= 1;
    if (h >> 64 || l > h)
        return -1;
    uint64_t L = (uint64_t)l, H = (uint64_t)h, T = (uint64_t)(t), p10 = 1;
    int j = 0;
    while (j < 19 && (H / (p10 * 10)) * (p10 * 10) >= L)
        p10 *= 10, j++;
    /* the multiple of p10 nearest to x: x is T + r/2^sh units */
    uint64_t f = T / p10, rem = T % p10;
    int up;
    if (j == 0) {
        U128 half = sh ? (U128)1 << (sh - 1) : 0;
        if (sh && r == half)
            return -1;
        up = sh && r > half;
    } else {
        uint64_t half = p10 / 2;
        if (rem == half && !r)
            return -1;
        up = rem >= half;                         /* rem == half with r > 0 lies past the middle */
    }
    uint64_t digits = f + (uint64_t)up;
    U128 c = (U128)digits * p10;
    if (c < L || c > H || digits == 0)
        return -1;
    int exp10 = j - p;                            /* x ~ digits * 10^exp10 */
    while (digits % 10 == 0)
        digits /= 10, exp10++;
    char d[24];
    int nd = 0;
    for (uint64_t u = digits; u; u /= 10)
        d[nd++] = (char)('0' + u % 10);           /* reversed */
    int decpt = nd + exp10;                       /* digits before the point */
    if (decpt <= -4 || decpt > 16)
        return -1;                                /* repr's exponent form */
    char *w = out;
    if (x < 0)
        *w++ = '-';
    if (decpt <= 0) {
        *w++ = '0', *w++ = '.';
        for (int i = 0; i < -decpt; i++)
            *w++ = '0';
        for (int i = nd - 1; i >= 0; i--)
            *w++ = d[i];
    } else if (decpt < nd) {
        for (int i = nd - 1; i >= 0; i--) {
            *w++ = d[i];
            if (nd - i == decpt)
                *w++ = '.';
        }
    } else {
        for (int i = nd - 1; i >= 0; i--)
            *w++ = d[i];
        for (int i = nd; i < decpt; i++)
            *w++ = '0';
        *w++ = '.', *w++ = '0';
    }
    return (int)(w - out);
}
#else
static int short_text(double x, char *out) { (void)x, (void)out; return -1; }
#endif

/* writeback.number_texts: each double of a float64 buffer as Python's repr writes it (the shortest
 * text that reads back to it: PyOS_double_to_string, mode 'r', as float.__repr__ calls it), a whole
 * number below 1e15 in magnitude as its integer (no ".0"; -0.0 is "0"): a list of bytes. */
static PyObject *number_texts(PyObject *self, PyObject *args)
{
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view))
        return NULL;
    if (view.len % (Pos)sizeof(double)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "not a float64 buffer");
        return NULL;
    }
    Pos n = view.len / (Pos)sizeof(double);
    PyObject *out = PyList_New(n);
    for (Pos i = 0; out && i < n; i++) {
        double x;
        memcpy(&x, (const char *)view.buf + i * (Pos)sizeof(double), sizeof x);
        PyObject *item;
        if (x == trunc(x) && fabs(x) < 1e15) {
            /* as str(int(x)): at most 15 digits and a sign */
            char digits[24], *end = digits + sizeof digits, *p = end;
            unsigned long long u = (unsigned long long)fabs(x);
            do
                *--p = (char)('0' + u % 10);
            while (u /= 10);
            if (x < 0)
                *--p = '-';
            item = PyBytes_FromStringAndSize(p, end - p);
        } else {
            char fast[48];
            int size = short_text(x, fast);
            if (size >= 0)
                item = PyBytes_FromStringAndSize(fast, size);
            else {
                char *text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
                item = text ? PyBytes_FromString(text) : NULL;
                PyMem_Free(text);
            }
        }
        if (item)
            PyList_SET_ITEM(out, i, item);
        else
            Py_CLEAR(out);
    }
    PyBuffer_Release(&view);
    return out;
}

/* Numbers read from their texts (value_cells.PositionedTexts.floats): a plain decimal number -- an
 * optional sign, digits with at most one ".", an optional exponent (e or E, an optional sign, one to four
 * digits) -- is read as float() reads it: exactly rounded. Up to 19 significant digits that make at most
 * 2**53, scaled by at most 10**22, the value is one exact product or quotient of two doubles (rounded once,
 * so the nearest double, as float() gives); other plain numbers go to PyOS_string_to_double, which float()
 * calls. Anything else (spaces, "1_0", "inf", a value past the doubles) is not read: 0. */
static const double TENS[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int read_number(const unsigned char *p, Pos n, double *out)
{
    Pos i = 0, digits = 0, exponent_digits = 0;
    int negative = 0, dot = 0, exact = 1, significant = 0;
    uint64_t m = 0;
    long scale = 0, exponent = 0;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        negative = p[i++] == '-';
    for (; i < n && (decimal(p[i]) || (p[i] == '.' && !dot)); i++) {
        if (p[i] == '.') {
            dot = 1;
            continue;
        }
        digits++;
        if (m == 0 && p[i] == '0')
            scale -= dot;       /* a leading zero: only where it is after the point does it scale */
        else if (significant < 19)
            m = m * 10 + (uint64_t)(p[i] - '0'), significant++, scale -= dot;
        else
            exact = 0;
    }
    if (digits == 0)
        return 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        int minus = 0;
        if (++i < n && (p[i] == '-' || p[i] == '+'))
            minus = p[i++] == '-';
        for (; i < n && decimal(p[i]) && exponent_digits < 5; i++, exponent_digits++)
            exponent = exponent * 10 + (p[i] - '0');
        if (exponent_digits == 0 || exponent_digits > 4)
            return 0;
        scale += minus ? -exponent : exponent;
    }
    if (i != n)
        return 0;
    if (exact && m <= ((uint64_t)1 << 53) && -22 <= scale && scale <= 22) {
        double value = scale < 0 ? (double)m / TENS[-scale] : (double)m * TENS[scale];
        *out = negative ? -value : value;
        return 1;
    }
    char text[64], *end = NULL;
    if (n >= (Pos)sizeof text)
        return 0;
    memcpy(text, p, (size_t)n), text[n] = 0;
    double value = PyOS_string_to_double(text, &end, NULL);
    if (value == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (end != text + n || !isfinite(value))
        return 0;
    *out = value;
    return 1;
}

/* numbers(span, starts, ends): the items read as numbers (float64 in a bytearray) when every one is a
 * plain decimal number, else None (numpy reads them, and refuses what it must) */
static PyObject *numbers(PyObject *self, PyObject *args)
{
    Items it;
    if (items_of(args, &it) < 0)
        return NULL;
    PyObject *out = PyByteArray_FromStringAndSize(NULL, it.m * (Pos)sizeof(double));
    double *value = out ? (double *)PyByteArray_AS_STRING(out) : NULL;
    int plain = value != NULL;
    for (Pos i = 0; plain && i < it.m; i++)
        plain = read_number((const unsigned char *)it.span.buf + it.s[i], it.e[i] - it.s[i], value + i);
    release(&it);
    if (out && !plain)
        Py_SETREF(out, Py_NewRef(Py_None));
    return out;
}

static PyMethodDef methods[] = {
    {"formula_cells", formula_cells, METH_VARARGS,
     "formula_cells(buffer, n): the formula cells of the span buffer[:n] as (int64 columns, distinct "
     "attribute texts, distinct <f> elements), or None for a span left to the pattern."},
    {"value_cells", value_cells, METH_VARARGS,
     "value_cells(buffer, n): the value cells of the span buffer[:n] as (int64 columns, distinct "
     "attribute texts), or None for a span left to the pattern."},
    {"joined", joined, METH_VARARGS, "joined(span, starts, ends): the items span[s:e] NUL-joined."},
    {"between", between, METH_VARARGS,
     "between(span, first, starts, ends): the texts before each item (from first, then from the end of the "
     "item before), NUL-joined."},
    {"marked", marked, METH_VARARGS,
     "marked(span, n, starts, ends, marker): span[:n] with marker where each run of items was; two markers "
     "for a span of items only."},
    {"grouped", grouped, METH_VARARGS,
     "grouped(span, starts, ends): (int64 codes, distinct texts) of the items, as pandas.factorize."},
    {"text_doubt", text_doubt, METH_VARARGS,
     "text_doubt(data): (whether the bytes hold a control character XML refuses, ']]>' or a reference XML "
     "does not take, whether they are all ASCII)."},
    {"numbers", numbers, METH_VARARGS,
     "numbers(span, starts, ends): the items read as float() reads them (float64 in a bytearray) when each is "
     "a plain decimal number, else None."},
    {"plain_rows", plain_rows, METH_VARARGS,
     "plain_rows(skeleton): the size of the sheetData start tag the skeleton begins with when the rest is "
     "plain rows of empty cells and markers (well-formed content, nothing of a namespace), else 0."},
    {"number_texts", number_texts, METH_VARARGS,
     "number_texts(float64 buffer): each number's repr (a whole number below 1e15 as its integer), "
     "as a list of bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cell_locator", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cell_locator(void) { return PyModule_Create(&module); }
