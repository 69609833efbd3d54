/* Small XML reader for S3 responses; see xml.h. */
#include "store/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define XML_MAX_DEPTH 64
#define XML_MAX_NODES 4000000

static int add_node(xml_doc_t *d, const char *name, size_t name_len, int parent, prestige_error_t *err) {
  if (d->n == d->cap) {
    if (d->cap >= XML_MAX_NODES) return prestige_error_set(err, PRESTIGE_ECORRUPT, "XML document has too many elements");
    int ncap = d->cap ? d->cap * 2 : 64;
    xml_node_t *nn = realloc(d->nodes, (size_t)ncap * sizeof *nn);
    if (!nn) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory parsing XML");
    d->nodes = nn;
    d->cap = ncap;
  }
  char *nm = arena_strndup(&d->arena, name, name_len);
  if (!nm) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory parsing XML");
  int id = d->n++;
  xml_node_t *x = &d->nodes[id];
  x->name = nm;
  x->text = "";
  x->parent = parent;
  x->first_child = -1;
  x->next_sibling = -1;
  if (parent >= 0) {
    /* append as last child: walk is fine for S3 documents, but keep a cheap path via scan */
    int c = d->nodes[parent].first_child;
    if (c < 0) {
      d->nodes[parent].first_child = id;
    } else {
      /* siblings are added in order; the previous node added under this parent is the last one */
      int last = c;
      for (int k = id - 1; k > c; k--)
        if (d->nodes[k].parent == parent) {
          last = k;
          break;
        }
      d->nodes[last].next_sibling = id;
    }
  }
  return 0;
}

static int put_utf8(buf_t *b, uint32_t cp) {
  uint8_t t[4];
  size_t n;
  if (cp < 0x80) {
    t[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    t[0] = (uint8_t)(0xC0 | (cp >> 6));
    t[1] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    t[0] = (uint8_t)(0xE0 | (cp >> 12));
    t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    t[2] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    t[0] = (uint8_t)(0xF0 | (cp >> 18));
    t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    t[3] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return buf_append(b, t, n);
}

/* Decodes character data [p, end) with entities into b. */
static int decode_text(buf_t *b, const char *p, const char *end, size_t base_off, const char *doc_start,
                       prestige_error_t *err) {
  while (p < end) {
    if (*p != '&') {
      const char *amp = memchr(p, '&', (size_t)(end - p));
      const char *stop = amp ? amp : end;
      if (buf_append(b, p, (size_t)(stop - p))) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
      p = stop;
      continue;
    }
    const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
    if (!semi)
      return prestige_error_set(err, PRESTIGE_ECORRUPT, "malformed XML: unterminated entity at byte %zu",
                                base_off + (size_t)(p - doc_start));
    size_t n = (size_t)(semi - p - 1);
    const char *e = p + 1;
    int rc = 0;
    if (n == 2 && !memcmp(e, "lt", 2)) rc = buf_append_u8(b, '<');
    else if (n == 2 && !memcmp(e, "gt", 2)) rc = buf_append_u8(b, '>');
    else if (n == 3 && !memcmp(e, "amp", 3)) rc = buf_append_u8(b, '&');
    else if (n == 4 && !memcmp(e, "quot", 4)) rc = buf_append_u8(b, '"');
    else if (n == 4 && !memcmp(e, "apos", 4)) rc = buf_append_u8(b, '\'');
    else if (n >= 2 && e[0] == '#') {
      uint32_t cp = 0;
      int hex = e[1] == 'x' || e[1] == 'X';
      size_t i = hex ? 2 : 1;
      if (i >= n) goto bad;
      for (; i < n; i++) {
        char c = e[i];
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else goto bad;
        cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
        if (cp > 0x10FFFF) goto bad;
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
      rc = put_utf8(b, cp);
    } else {
      goto bad;
    }
    if (rc) return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
    p = semi + 1;
    continue;
  bad:
    return prestige_error_set(err, PRESTIGE_ECORRUPT, "malformed XML: unknown entity at byte %zu",
                              base_off + (size_t)(p - doc_start));
  }
  return 0;
}

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

static const char *find_str(const char *p, const char *end, const char *s) {
  size_t n = strlen(s);
  while ((size_t)(end - p) >= n) {
    const char *q = memchr(p, s[0], (size_t)(end - p) - n + 1);
    if (!q) return NULL;
    if (!memcmp(q, s, n)) return q;
    p = q + 1;
  }
  return NULL;
}

int xml_parse(xml_doc_t *d, const char *data, size_t len, prestige_error_t *err) {
  memset(d, 0, sizeof *d);
  const char *p = data, *end = data + len;
  int stack[XML_MAX_DEPTH];
  buf_t text[XML_MAX_DEPTH];
  int depth = 0, rc = 0, have_root = 0;
  memset(text, 0, sizeof text);
#define BAD(...)                                                   \
  do {                                                             \
    rc = prestige_error_set(err, PRESTIGE_ECORRUPT, __VA_ARGS__);  \
    goto out;                                                      \
  } while (0)
  while (p < end) {
    if (*p != '<') {
      const char *lt = memchr(p, '<', (size_t)(end - p));
      const char *stop = lt ? lt : end;
      if (depth > 0) {
        if ((rc = decode_text(&text[depth - 1], p, stop, 0, data, err))) goto out;
      } else {
        for (const char *q = p; q < stop; q++)
          if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n' && !(q - data < 3 && (unsigned char)*q >= 0xBB))
            BAD("malformed XML: text outside the root element at byte %zu", (size_t)(q - data));
      }
      p = stop;
      continue;
    }
    if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
      const char *q = find_str(p + 4, end, "-->");
      if (!q) BAD("malformed XML: unterminated comment at byte %zu", (size_t)(p - data));
      p = q + 3;
      continue;
    }
    if (end - p >= 9 && !memcmp(p, "<![CDATA[", 9)) {
      const char *q = find_str(p + 9, end, "]]>");
      if (!q) BAD("malformed XML: unterminated CDATA at byte %zu", (size_t)(p - data));
      if (depth == 0) BAD("malformed XML: CDATA outside the root element at byte %zu", (size_t)(p - data));
      if (buf_append(&text[depth - 1], p + 9, (size_t)(q - p - 9))) BAD("out of memory parsing XML");
      p = q + 3;
      continue;
    }
    if (end - p >= 2 && (p[1] == '?' || p[1] == '!')) {
      const char *q = memchr(p, '>', (size_t)(end - p));
      if (!q) BAD("malformed XML: unterminated declaration at byte %zu", (size_t)(p - data));
      p = q + 1;
      continue;
    }
    int closing = end - p >= 2 && p[1] == '/';
    const char *nm = p + (closing ? 2 : 1);
    const char *q = nm;
    while (q < end && is_name_char(*q)) q++;
    if (q == nm) BAD("malformed XML: expected an element name at byte %zu", (size_t)(nm - data));
    const char *local = nm;
    for (const char *c = nm; c < q; c++)
      if (*c == ':') local = c + 1;
    size_t local_len = (size_t)(q - local);
    /* skip attributes, honouring quotes */
    char quote = 0;
    while (q < end && (quote || (*q != '>'))) {
      if (quote) {
        if (*q == quote) quote = 0;
      } else if (*q == '"' || *q == '\'') {
        quote = *q;
      } else if (*q == '<') {
        BAD("malformed XML: '<' inside a tag at byte %zu", (size_t)(q - data));
      }
      q++;
    }
    if (q >= end) BAD("malformed XML: unterminated tag at byte %zu", (size_t)(p - data));
    int self_close = !closing && q[-1] == '/';
    if (closing) {
      if (depth == 0) BAD("malformed XML: unexpected closing tag at byte %zu", (size_t)(p - data));
      xml_node_t *open = &d->nodes[stack[depth - 1]];
      if (strlen(open->name) != local_len || memcmp(open->name, local, local_len))
        BAD("malformed XML: closing tag </%.*s> does not match <%s> at byte %zu", (int)(local_len > 64 ? 64 : local_len),
            local, open->name, (size_t)(p - data));
      buf_t *t = &text[depth - 1];
      char *s = arena_strndup(&d->arena, t->len ? (const char *)t->data : "", t->len);
      if (!s) BAD("out of memory parsing XML");
      open->text = s;
      buf_clear(t);
      depth--;
    } else {
      if (depth == 0 && have_root) BAD("malformed XML: second root element at byte %zu", (size_t)(p - data));
      if (depth == XML_MAX_DEPTH) BAD("malformed XML: elements nested deeper than %d", XML_MAX_DEPTH);
      if ((rc = add_node(d, local, local_len, depth ? stack[depth - 1] : -1, err))) goto out;
      have_root = 1;
      if (!self_close) stack[depth++] = d->n - 1;
    }
    p = q + 1;
  }
  if (depth != 0) BAD("malformed XML: document ends inside <%s> (truncated?)", d->nodes[stack[depth - 1]].name);
  if (!have_root) BAD("malformed XML: no element found");
out:
  for (int i = 0; i < XML_MAX_DEPTH; i++) buf_release(&text[i]);
  if (rc) xml_free(d);
  return rc;
#undef BAD
}

void xml_free(xml_doc_t *d) {
  free(d->nodes);
  arena_release(&d->arena);
  memset(d, 0, sizeof *d);
}

int xml_child(const xml_doc_t *d, int node, const char *name) {
  if (node < 0) return d->n > 0 && !strcmp(d->nodes[0].name, name) ? 0 : -1;
  for (int c = d->nodes[node].first_child; c >= 0; c = d->nodes[c].next_sibling)
    if (!strcmp(d->nodes[c].name, name)) return c;
  return -1;
}

int xml_next(const xml_doc_t *d, int node) {
  for (int c = d->nodes[node].next_sibling; c >= 0; c = d->nodes[c].next_sibling)
    if (!strcmp(d->nodes[c].name, d->nodes[node].name)) return c;
  return -1;
}

const char *xml_child_text(const xml_doc_t *d, int node, const char *name) {
  int c = xml_child(d, node, name);
  return c >= 0 ? d->nodes[c].text : NULL;
}

int xml_escape(struct buf *out, const char *s) {
  for (; *s; s++) {
    const char *r = NULL;
    switch (*s) {
      case '&': r = "&amp;"; break;
      case '<': r = "&lt;"; break;
      case '>': r = "&gt;"; break;
      case '"': r = "&quot;"; break;
      case '\'': r = "&apos;"; break;
      default: break;
    }
    int rc = r ? buf_append(out, r, strlen(r)) : buf_append_u8(out, (uint8_t)*s);
    if (rc) return PRESTIGE_ENOMEM;
  }
  return 0;
}
