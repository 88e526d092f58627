/* parser.y: the grammar of a .net file, and so the reference of the language.
 *
 *   # Fashion-MNIST MLP
 *   model fmnist_mlp {             a model: its layers in order, the first one `input`
 *     input 784
 *     dense 256 init=he_normal     a layer: a kind, an optional size, options `key=value`
 *     relu
 *     dense 10
 *   }
 *   loss      cross_entropy
 *   optimizer sgd { lr = 0.1  momentum = 0.9 }
 *   train     { epochs = 10  batch = 64  seed = 42 }
 *   data      fashion_mnist { valid = 10000  normalize = true }
 *
 * The grammar only says what is well formed. Which layer kinds, settings and values exist, and
 * whether shapes fit, is check.c's business: it knows the tables and says "did you mean".
 * Actions only build AST nodes (netc.h), allocated in the arena, so error recovery leaks nothing.
 */

%code requires {
#include "netc.h"
typedef void *yyscan_t;

/* What the scanner and the parser share while they read one file. */
typedef struct ParseState {
    Source *src;
    Arena *arena;
    Stmt *head, **tail;           /* the statements parsed so far                       */
    int line, col;                /* the scanner's position: where the next token starts */
    char last_text[48];           /* the last token's text, for "before 'x'"            */
    int last_token_line;          /* the line the last token ended on                   */
    bool first_on_line;           /* the current token is the first of its line          */
    int unknown_line;             /* the line of the last unknown statement reported     */
    Loc model_end;                /* the '}' that closed the model, once seen            */
    bool ate_rest_of_line;        /* an unterminated string took the rest of a line      */
    bool noted_model_end;         /* "the model ends here" said once                     */
    char word[32];                /* the last statement word outside any block          */
    Loc word_loc;
    struct {
        char word[32];            /* 'model', 'train', …                                */
        Loc loc;
    } open[16];                   /* blocks whose '{' is not yet closed, outermost first */
    int nopen;
} ParseState;
}

%code provides {
int yylex(YYSTYPE *yylval, YYLTYPE *yylloc, yyscan_t scanner);
}

%code {
#include <string.h>

static void yyerror(const Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg);
static void report_unknown_statement(ParseState *ps, const char *word, const Loc *loc);

static Stmt *new_stmt(ParseState *ps, StmtKind kind, const Loc *loc)
{
    Stmt *s = arena_alloc(ps->arena, sizeof *s);
    s->kind = kind;
    s->loc = *loc;
    return s;
}
}

/* No global state: the scanner and the parser are reentrant. */
%define api.pure full
/* Tokens are TOK_MODEL, … in C, clear of any other name. */
%define api.token.prefix {TOK_}
/* Our own location type (netc.h), so that every stage shares it. */
%define api.location.type {Loc}
%locations
/* Syntax errors are worded by yyreport_syntax_error below, with the exact list of expected
 * tokens that look-ahead correction (LAC) computes. */
%define parse.error custom
%define parse.lac full
%param {yyscan_t scanner}
%parse-param {ParseState *ps}
/* The grammar has no conflicts; keep it that way. */
%expect 0

%union {
    char *str;
    Value *value;
    Setting *setting;
    Layer *layer;
    Stmt *stmt;
}

/* Every token has a name for error messages, in the user's words. */
%token MODEL "'model'" LOSS "'loss'" OPTIMIZER "'optimizer'" TRAIN "'train'" DATA "'data'"
%token <str> IDENT "name"
%token <str> KEY "setting (name = value)"
%token <value> NUMBER "number" SIZE "size (e.g. 28x28)" STRING "string"

%nterm <stmt> stmt
%nterm <layer> layers layer
%nterm <setting> block opt_block settings setting
%nterm <setting> options
%nterm <value> value args
%nterm <value> positional
%nterm <stmt> unknown_stmt

%%

program:
  %empty
| program stmt            { if ($2) { *ps->tail = $2; ps->tail = &$2->next; } }
;

/* stmt: 'model' NAME '{' layers '}'
 *     | 'loss' value
 *     | 'optimizer' value block?
 *     | 'train' block
 *     | 'data' value block?
 *     | WORD …          not a statement: a layer outside the model or a misspelt keyword,
 *                       reported here, once per line; its block, if any, is skipped unread */
stmt:
  MODEL IDENT '{' layers '}' {
      $$ = new_stmt(ps, STMT_MODEL, &@1);
      $$->name = $2;
      $$->name_loc = @2;
      $$->layers = $4;
      ps->model_end = @5;
  }
| LOSS value              { $$ = new_stmt(ps, STMT_LOSS, &@1); $$->value = $2; }
| OPTIMIZER value opt_block {
      $$ = new_stmt(ps, STMT_OPTIMIZER, &@1);
      $$->value = $2;
      $$->settings = $3;
  }
| TRAIN block             { $$ = new_stmt(ps, STMT_TRAIN, &@1); $$->settings = $2; }
| DATA value opt_block {
      $$ = new_stmt(ps, STMT_DATA, &@1);
      $$->value = $2;
      $$->settings = $3;
  }
| unknown_stmt            { $$ = NULL; }
| error                   { $$ = NULL; }
;

/* unknown_stmt: WORD positional options ('{' anything '}')?
 * What follows an unknown word cannot be understood, so it is not parsed further: one message
 * for the word, none for its debris. While the parser recovers from an earlier syntax error the
 * words it meets are debris of that error, and they are not reported either. */
unknown_stmt:
  IDENT positional options {
      if (!YYRECOVERING() && @1.first_line != ps->unknown_line) {
          report_unknown_statement(ps, $1, &@1);
          ps->unknown_line = @1.first_line;
      }
  }
| unknown_stmt skipped_block
;

skipped_block:
  '{' skipped '}'
;

skipped:
  %empty
| skipped skipped_token
;

skipped_token:
  IDENT | KEY | NUMBER | SIZE | STRING | '(' | ')' | ',' | '-'
| MODEL | LOSS | OPTIMIZER | TRAIN | DATA | skipped_block
;

/* layers: layer*            in a model, in order */
layers:
  %empty                  { $$ = NULL; }
| layers layer {
      $$ = $1;
      if ($2) {
          Layer **tail = &$$;
          while (*tail)
              tail = &(*tail)->next;
          *tail = $2;
      }
  }
;

/* layer: KIND positional* options      dense 512 init=he_normal | relu | input 1x28x28 */
layer:
  IDENT positional options {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = $1;
      $$->loc = @1;
      $$->arg = $2;
      if ($2) {
          $$->extra_args = $2->next;
          $2->next = NULL;
      }
      $$->opts = $3;
  }
| error                   { $$ = NULL; }
;

/* positional: (NUMBER | '-' NUMBER | SIZE)*   the first is the layer's argument, more are errors */
positional:
  %empty                  { $$ = NULL; }
| positional NUMBER       { $$ = $1; Value **t = &$$; while (*t) t = &(*t)->next; *t = $2; }
| positional SIZE         { $$ = $1; Value **t = &$$; while (*t) t = &(*t)->next; *t = $2; }
| positional '-' NUMBER { /* never a valid size, but the checker words it best */
      $3->num = -$3->num;
      $3->loc = (Loc){@2.first_line, @2.first_column, @3.last_line, @3.last_column};
      $$ = $1;
      Value **t = &$$;
      while (*t)
          t = &(*t)->next;
      *t = $3;
  }
;

/* options: (KEY '=' value)* */
options:
  %empty                  { $$ = NULL; }
| options KEY value {
      Setting *s = arena_alloc(ps->arena, sizeof *s);
      s->key = $2;
      s->loc = @2;
      s->value = $3;
      $$ = $1;
      Setting **t = &$$;
      while (*t)
          t = &(*t)->next;
      *t = s;
  }
;

opt_block:
  %empty                  { $$ = NULL; }
| block                   { $$ = $1; }
;

/* block: '{' (KEY '=' value)* '}' */
block:
  '{' settings '}'        { $$ = $2; }
;

settings:
  %empty                  { $$ = NULL; }
| settings setting {
      $$ = $1;
      if ($2) {
          Setting **t = &$$;
          while (*t)
              t = &(*t)->next;
          *t = $2;
      }
  }
;

setting:
  KEY value {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $1;
      $$->loc = @1;
      $$->value = $2;
  }
| IDENT value {
      /* the slip everyone makes once: `lr 0.1` */
      diag(ps->src, @1, DIAG_ERROR, "expected '=' after '%s'", $1);
      $$ = NULL;
  }
| error                   { $$ = NULL; }
;

/* value: NUMBER | '-' NUMBER | SIZE | STRING | NAME | NAME '(' value, … ')' */
value:
  NUMBER                  { $$ = $1; }
| '-' NUMBER              { $$ = $2; $$->num = -$$->num; $$->loc = @$; }
| SIZE                    { $$ = $1; }
| STRING                  { $$ = $1; }
| IDENT {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = VAL_NAME;
      $$->loc = @1;
      $$->str = $1;
  }
| IDENT '(' args ')' {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = VAL_CALL;
      $$->loc = @$;
      $$->str = $1;
      $$->args = $3;
  }
;

args:
  %empty                  { $$ = NULL; }
| value                   { $$ = $1; }
| args ',' value {
      $$ = $1;
      Value **t = &$$;
      while (*t)
          t = &(*t)->next;
      *t = $3;
  }
;

%%

/* A word where a statement should start: a layer outside its model, or a misspelt keyword. */
static void report_unknown_statement(ParseState *ps, const char *word, const Loc *loc)
{
    static const char *const statements[] = {"model", "loss", "optimizer", "train", "data", NULL};
    if (check_is_layer(word)) {
        diag(ps->src, *loc, DIAG_ERROR, "layer '%s' outside a model; layers go inside "
             "'model NAME { … }'", word);
        if (ps->model_end.first_line && !ps->noted_model_end) {
            diag(ps->src, ps->model_end, DIAG_NOTE, "the model ends here");
            ps->noted_model_end = true;
        }
        return;
    }
    const char *guess = suggest(word, statements);
    if (guess) {
        diag(ps->src, *loc, DIAG_ERROR, "unknown statement '%s'; did you mean '%s'?", word, guess);
    } else {
        char list[128];
        join_words(list, sizeof list, statements);
        diag(ps->src, *loc, DIAG_ERROR, "unknown statement '%s'; expected one of: %s", word,
             list);
    }
}

static void yyerror(const Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg)
{
    (void)scanner;
    diag(ps->src, *loc, DIAG_ERROR, "%s", msg);
}

/* "syntax error: expected A, B or C before 'x'". When a block is still open and the parser meets
 * the end of the file or the next statement, the missing '}' is the likely mistake: say which
 * block it would close and where that block began. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseState *ps)
{
    (void)scanner;
    enum { MAX_EXPECTED = 6 };
    yysymbol_kind_t expected[MAX_EXPECTED];
    int n = yypcontext_expected_tokens(ctx, expected, MAX_EXPECTED);
    yysymbol_kind_t got = yypcontext_token(ctx);
    Loc loc = *yypcontext_location(ctx);

    char before[80];
    if (got == YYSYMBOL_YYEOF)
        snprintf(before, sizeof before, "end of file");
    else
        snprintf(before, sizeof before, "'%s'", ps->last_text);

    /* an unterminated string, reported already, may have taken the '}' the parser misses */
    if (got == YYSYMBOL_YYEOF && ps->ate_rest_of_line)
        return 0;

    bool at_statement = got == YYSYMBOL_YYEOF || got == YYSYMBOL_MODEL || got == YYSYMBOL_LOSS ||
                        got == YYSYMBOL_OPTIMIZER || got == YYSYMBOL_TRAIN || got == YYSYMBOL_DATA;
    if (ps->nopen > 0 && at_statement) {
        int i = ps->nopen - 1 < 16 ? ps->nopen - 1 : 15;
        diag(ps->src, loc, DIAG_ERROR, "expected '}' before %s (to close '%s' at line %d)", before,
             ps->open[i].word, ps->open[i].loc.first_line);
        diag(ps->src, ps->open[i].loc, DIAG_NOTE, "'%s' opened here", ps->open[i].word);
        ps->nopen = 0;
        return 0;
    }

    /* all the tokens that start a value, listed one by one, read as noise: say "a value" */
    int starts_value = 0;
    for (int i = 0; i < n; i++)
        starts_value += expected[i] == YYSYMBOL_NUMBER || expected[i] == YYSYMBOL_STRING ||
                        expected[i] == YYSYMBOL_SIZE || expected[i] == YYSYMBOL_IDENT ||
                        !strcmp(yysymbol_name(expected[i]), "'-'");
    if (starts_value == 5) {
        diag(ps->src, loc, DIAG_ERROR, "expected a value before %s", before);
        return 0;
    }

    char list[256] = "";
    if (n > 0) {
        size_t used = 0;
        for (int i = 0; i < n; i++) {
            const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", sep,
                                     yysymbol_name(expected[i]));
            if (used >= sizeof list)
                break;
        }
        diag(ps->src, loc, DIAG_ERROR, "syntax error: expected %s before %s", list, before);
    } else {
        diag(ps->src, loc, DIAG_ERROR, "syntax error: unexpected %s", before);
    }
    return 0;
}
