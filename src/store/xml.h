/*
 * A small non-validating XML reader for S3 responses (ListObjectsV2, Error, multipart and
 * DeleteObjects results). It builds a flat tree of elements with their decoded text. Namespace
 * prefixes are dropped; attributes, comments, processing instructions and DOCTYPE are skipped;
 * CDATA and the five predefined and numeric entities are decoded. Malformed documents give
 * ECORRUPT naming the byte offset. Depth is capped (64) so hostile input cannot recurse deeply.
 */
#ifndef PRESTIGE_STORE_XML_H
#define PRESTIGE_STORE_XML_H

#include <stddef.h>

#include "core/arena.h"
#include "prestige/error.h"

typedef struct xml_node {
  const char *name;  /* local name, NUL-terminated (arena) */
  const char *text;  /* decoded character data directly inside the element (arena) */
  int parent;        /* -1 for the root */
  int first_child;   /* -1 when none */
  int next_sibling;  /* -1 when none */
} xml_node_t;

typedef struct xml_doc {
  xml_node_t *nodes;
  int n, cap;
  arena_t arena;
} xml_doc_t;

int xml_parse(xml_doc_t *doc, const char *data, size_t len, prestige_error_t *err);
void xml_free(xml_doc_t *doc);
/* First child of node named name (node -1 means the document: returns the root if it matches). */
int xml_child(const xml_doc_t *doc, int node, const char *name);
/* Next sibling of node with the same name as node. */
int xml_next(const xml_doc_t *doc, int node);
/* Text of the first child named name, or NULL. */
const char *xml_child_text(const xml_doc_t *doc, int node, const char *name);

/* Appends s escaped for XML character data (& < > " '). */
struct buf;
int xml_escape(struct buf *out, const char *s);

#endif
