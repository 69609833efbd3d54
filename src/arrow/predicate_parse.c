/* Filter text -> unbound expression tree (see prestige/predicate.h for the grammar). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arrow/predicate_internal.h"
#include "core/buf.h"

static void lits_free(plit_t *l, int32_t n) {
  for (int32_t i = 0; l && i < n; i++) free(l[i].text);
  free(l);
}

static void pnode_free(pnode_t *n) {
  if (!n) return;
  pnode_free(n->l);
  pnode_free(n->r);
  lits_free(n->lits, n->n_lits);
  free(n);
}

void prestige_predicate_free(prestige_predicate_t *p) {
  if (!p) return;
  pnode_free(p->root);
  for (int64_t i = 0; i < p->n_columns; i++) free(p->columns[i]);
  free(p->columns);
  free(p->text);
  free(p);
}

int64_t prestige_predicate_column_count(const prestige_predicate_t *p) { return p ? p->n_columns : 0; }

const char *prestige_predicate_column(const prestige_predicate_t *p, int64_t i) {
  return p && i >= 0 && i < p->n_columns ? p->columns[i] : NULL;
}

/* ---- parser ----------------------------------------------------------------------------------- */
typedef struct parser {
  const char *s, *p;
  prestige_predicate_t *pred;
  prestige_error_t *err;
} parser_t;

static void skip_ws(parser_t *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int perr(parser_t *ps, const char *what) {
  return prestige_error_set(ps->err, PRESTIGE_EINVAL, "filter \"%s\": %s at character %d", ps->s, what,
                            (int)(ps->p - ps->s) + 1);
}

static int oom(parser_t *ps) { return prestige_error_set(ps->err, PRESTIGE_ENOMEM, "out of memory"); }

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Consumes keyword kw (any case) when it comes next as a whole word. */
static bool keyword(parser_t *ps, const char *kw) {
  skip_ws(ps);
  size_t n = strlen(kw);
  if (strncasecmp(ps->p, kw, n) == 0 && !is_word(ps->p[n])) {
    ps->p += n;
    return true;
  }
  return false;
}

static bool peek_keyword(parser_t *ps, const char *kw) {
  const char *save = ps->p;
  bool k = keyword(ps, kw);
  ps->p = save;
  return k;
}

/* A column path: name segments joined by dots; a segment is a word or a "quoted name". Returns
 * its index in the predicate's column list (added when new). */
static int parse_column(parser_t *ps, int32_t *col) {
  skip_ws(ps);
  buf_t b = BUF_INIT;
  int rc = 0;
  for (;;) {
    if (*ps->p == '"') {
      ps->p++;
      for (;;) {
        if (!*ps->p) {
          buf_release(&b);
          return perr(ps, "unterminated quoted column name");
        }
        if (*ps->p == '"') {
          if (ps->p[1] != '"') break;
          ps->p++;
        }
        rc |= buf_append_u8(&b, (uint8_t)*ps->p++);
      }
      ps->p++;
    } else {
      const char *start = ps->p;
      while (is_word(*ps->p)) ps->p++;
      if (ps->p == start) {
        buf_release(&b);
        return perr(ps, "expected a column name");
      }
      rc |= buf_append(&b, start, (size_t)(ps->p - start));
    }
    if (*ps->p != '.') break;
    ps->p++;
    rc |= buf_append_u8(&b, '.');
  }
  rc |= buf_append_u8(&b, 0);
  if (rc) {
    buf_release(&b);
    return oom(ps);
  }
  char *name = (char *)b.data;
  prestige_predicate_t *pr = ps->pred;
  for (int64_t i = 0; i < pr->n_columns; i++) {
    if (!strcmp(pr->columns[i], name)) {
      free(name);
      *col = (int32_t)i;
      return 0;
    }
  }
  char **grown = realloc(pr->columns, (size_t)(pr->n_columns + 1) * sizeof(char *));
  if (!grown) {
    free(name);
    return oom(ps);
  }
  pr->columns = grown;
  pr->columns[pr->n_columns] = name;
  *col = (int32_t)pr->n_columns++;
  return 0;
}

/* [+-] digits [. digits] [(e|E) [+-] digits], or with the digits only after the point */
static size_t number_length(const char *s) {
  size_t i = 0, digits = 0;
  if (s[i] == '+' || s[i] == '-') i++;
  while (isdigit((unsigned char)s[i])) i++, digits++;
  if (s[i] == '.') {
    i++;
    while (isdigit((unsigned char)s[i])) i++, digits++;
  }
  if (!digits) return 0;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-') j++;
    if (isdigit((unsigned char)s[j])) {
      while (isdigit((unsigned char)s[j])) j++;
      i = j;
    }
  }
  return is_word(s[i]) || s[i] == '.' ? 0 : i;
}

static int parse_literal(parser_t *ps, plit_t *l) {
  skip_ws(ps);
  memset(l, 0, sizeof(*l));
  if (*ps->p == '\'') {
    buf_t b = BUF_INIT;
    int rc = 0;
    ps->p++;
    for (;;) {
      if (!*ps->p) {
        buf_release(&b);
        return perr(ps, "unterminated string");
      }
      if (*ps->p == '\'') {
        if (ps->p[1] != '\'') break;
        ps->p++;
      }
      rc |= buf_append_u8(&b, (uint8_t)*ps->p++);
    }
    ps->p++;
    rc |= buf_append_u8(&b, 0);
    if (rc) {
      buf_release(&b);
      return oom(ps);
    }
    l->kind = LIT_STRING;
    l->text = (char *)b.data;
    return 0;
  }
  bool t = keyword(ps, "true");
  if (t || keyword(ps, "false")) {
    l->kind = LIT_BOOL;
    l->b = t;
    l->text = strdup(t ? "true" : "false");
    return l->text ? 0 : oom(ps);
  }
  if (peek_keyword(ps, "NULL"))
    return perr(ps, "a comparison with NULL is never true (use IS NULL or IS NOT NULL)");
  size_t n = number_length(ps->p);
  if (!n) return perr(ps, "expected a value (a number, a 'quoted string', true or false)");
  l->kind = LIT_NUMBER;
  l->text = strndup(ps->p, n);
  ps->p += n;
  return l->text ? 0 : oom(ps);
}

static pnode_t *node_new(parser_t *ps, pn_kind_t kind) {
  pnode_t *n = calloc(1, sizeof(*n));
  if (n) n->kind = kind;
  else oom(ps);
  return n;
}

/* Wraps *n in NOT. */
static int negate(parser_t *ps, pnode_t **n) {
  pnode_t *x = node_new(ps, PN_NOT);
  if (!x) return PRESTIGE_ENOMEM;
  x->l = *n;
  *n = x;
  return 0;
}

static int parse_or(parser_t *ps, pnode_t **out);

static int parse_in_list(parser_t *ps, pnode_t *n) {
  skip_ws(ps);
  if (*ps->p != '(') return perr(ps, "expected ( after IN");
  ps->p++;
  for (;;) {
    plit_t *v = realloc(n->lits, (size_t)(n->n_lits + 1) * sizeof(plit_t));
    if (!v) return oom(ps);
    n->lits = v;
    memset(&n->lits[n->n_lits], 0, sizeof(plit_t));
    n->n_lits++;
    PRESTIGE_TRY(parse_literal(ps, &n->lits[n->n_lits - 1]));
    skip_ws(ps);
    if (*ps->p == ',') {
      ps->p++;
      continue;
    }
    if (*ps->p == ')') {
      ps->p++;
      return 0;
    }
    return perr(ps, "expected , or ) in the IN list");
  }
}

/* column BETWEEN a AND b: (column >= a AND column <= b) */
static int parse_between(parser_t *ps, int32_t col, pnode_t **out) {
  pnode_t *a = node_new(ps, PN_AND);
  if (!a) return PRESTIGE_ENOMEM;
  *out = a;
  for (int k = 0; k < 2; k++) {
    pnode_t *c = node_new(ps, PN_CMP);
    if (!c) return PRESTIGE_ENOMEM;
    if (k == 0) a->l = c;
    else a->r = c;
    c->col = col;
    c->op = k == 0 ? OP_GE : OP_LE;
    c->lits = calloc(1, sizeof(plit_t));
    if (!c->lits) return oom(ps);
    c->n_lits = 1;
    PRESTIGE_TRY(parse_literal(ps, &c->lits[0]));
    if (k == 0 && !keyword(ps, "AND")) return perr(ps, "expected AND in BETWEEN");
  }
  return 0;
}

static int parse_test(parser_t *ps, pnode_t **out) {
  int32_t col = 0;
  PRESTIGE_TRY(parse_column(ps, &col));
  if (keyword(ps, "IS")) {
    bool neg = keyword(ps, "NOT");
    if (!keyword(ps, "NULL")) return perr(ps, "expected NULL");
    pnode_t *n = node_new(ps, neg ? PN_NOT_NULL : PN_IS_NULL);
    if (!n) return PRESTIGE_ENOMEM;
    n->col = col;
    *out = n;
    return 0;
  }
  bool neg = keyword(ps, "NOT");
  if (keyword(ps, "IN")) {
    pnode_t *n = node_new(ps, PN_IN);
    if (!n) return PRESTIGE_ENOMEM;
    n->col = col;
    *out = n;
    PRESTIGE_TRY(parse_in_list(ps, n));
    return neg ? negate(ps, out) : 0;
  }
  if (keyword(ps, "BETWEEN")) {
    PRESTIGE_TRY(parse_between(ps, col, out));
    return neg ? negate(ps, out) : 0;
  }
  if (neg) return perr(ps, "expected IN or BETWEEN after NOT");
  static const struct {
    const char *tok;
    cmp_op_t op;
  } ops[] = {{"<=", OP_LE}, {">=", OP_GE}, {"!=", OP_NE}, {"<>", OP_NE}, {"==", OP_EQ},
             {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT}};
  skip_ws(ps);
  for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
    size_t len = strlen(ops[k].tok);
    if (strncmp(ps->p, ops[k].tok, len)) continue;
    ps->p += len;
    pnode_t *n = node_new(ps, PN_CMP);
    if (!n) return PRESTIGE_ENOMEM;
    *out = n;
    n->col = col;
    n->op = ops[k].op;
    n->lits = calloc(1, sizeof(plit_t));
    if (!n->lits) return oom(ps);
    n->n_lits = 1;
    return parse_literal(ps, &n->lits[0]);
  }
  return perr(ps, "expected an operator (= != <> < <= > >= IN BETWEEN IS)");
}

static int parse_factor(parser_t *ps, pnode_t **out) {
  if (keyword(ps, "NOT")) {
    PRESTIGE_TRY(parse_factor(ps, out));
    return negate(ps, out);
  }
  skip_ws(ps);
  if (*ps->p == '(') {
    ps->p++;
    PRESTIGE_TRY(parse_or(ps, out));
    skip_ws(ps);
    if (*ps->p != ')') return perr(ps, "expected )");
    ps->p++;
    return 0;
  }
  return parse_test(ps, out);
}

static int parse_binary(parser_t *ps, pnode_t **out, bool is_or) {
  PRESTIGE_TRY(is_or ? parse_binary(ps, out, false) : parse_factor(ps, out));
  while (keyword(ps, is_or ? "OR" : "AND")) {
    pnode_t *n = node_new(ps, is_or ? PN_OR : PN_AND);
    if (!n) return PRESTIGE_ENOMEM;
    n->l = *out;
    *out = n;
    PRESTIGE_TRY(is_or ? parse_binary(ps, &n->r, false) : parse_factor(ps, &n->r));
  }
  return 0;
}

static int parse_or(parser_t *ps, pnode_t **out) { return parse_binary(ps, out, true); }

int prestige_predicate_parse(const char *text, prestige_predicate_t **out, prestige_error_t *err) {
  PRESTIGE_ERR_LOCAL(err);
  *out = NULL;
  if (!text) return prestige_error_set(err, PRESTIGE_EINVAL, "filter: no text");
  prestige_predicate_t *pr = calloc(1, sizeof(*pr));
  if (!pr || !(pr->text = strdup(text))) {
    free(pr);
    return prestige_error_set(err, PRESTIGE_ENOMEM, "out of memory");
  }
  parser_t ps = {text, text, pr, err};
  skip_ws(&ps);
  int rc = *ps.p ? parse_or(&ps, &pr->root) : perr(&ps, "empty filter");
  if (!rc) {
    skip_ws(&ps);
    if (*ps.p) rc = perr(&ps, "unexpected text");
  }
  if (rc) {
    prestige_predicate_free(pr);
    return rc;
  }
  *out = pr;
  return 0;
}
