/* parse_fault.h — what kind of fault stopped a parser, and where.
 *
 * A parser that fails says why as a value, not as text: the record keeps
 * the kind and the byte offset next to the text naming the message, so an
 * analyst can find the broken byte in the capture. The kinds are few on
 * purpose: they say what was wrong with the bytes, the text says which
 * message held them. */
#ifndef TLSMON_PARSE_FAULT_H
#define TLSMON_PARSE_FAULT_H

#include <stddef.h>

enum parse_fault {
    PARSE_FAULT_NONE = 0,   /* no typed fault (or the note was not a parse) */
    PARSE_FAULT_TRUNCATED,  /* the bytes ended inside a field */
    PARSE_FAULT_BAD_LENGTH, /* a length runs past what holds it, or is one
                               the spec does not allow */
    PARSE_FAULT_TRAILING,   /* bytes after where the structure must end */
    PARSE_FAULT_BAD_VALUE,  /* a field holds a value its spec forbids */
};

/* Where the fault was found: a byte offset into the span the parser was
 * given (for a handshake message, its body after the 4-byte header). */
struct parse_fault_at {
    enum parse_fault kind;
    size_t offset;
};

/* The kind as the NDJSON record spells it; NULL for PARSE_FAULT_NONE. */
static inline const char *parse_fault_name(enum parse_fault kind)
{
    switch (kind) {
    case PARSE_FAULT_TRUNCATED: return "truncated";
    case PARSE_FAULT_BAD_LENGTH: return "bad_length";
    case PARSE_FAULT_TRAILING: return "trailing_bytes";
    case PARSE_FAULT_BAD_VALUE: return "bad_value";
    case PARSE_FAULT_NONE: break;
    }
    return NULL;
}

#endif
