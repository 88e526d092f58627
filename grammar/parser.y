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
    int prev_token_line;          /* and the one before it                               */
    bool first_on_line;           /* the current token is the first of its line          */
    int unknown_line;             /* the line of the last unknown statement reported     */
    Loc model_end;                /* the '}' that closed the model, once seen            */
    bool ate_rest_of_line;        /* an unterminated string took the rest of a line      */
    bool at_eof;                  /* the scanner has met the end of the file              */
    Stmt *last;                   /* the statement read last                              */
    bool noted_model_end;         /* "the model ends here" said once                     */
    char word[32];                /* the last statement word outside any block          */
    Loc word_loc;
    struct {
        char word[32];            /* 'model', 'train', …                                */
        Loc loc;
    } open[16];                   /* blocks whose '{' is not yet closed, outermost first */
    int nopen;
    int depth;                    /* blocks the parser has open: nopen as the parser saw
                                     it (error recovery may throw a brace away)          */
    Loc closing;                  /* the keyword before which the lexer closes blocks    */
    int closing_depth;            /* nopen when it last put a '}' there                  */
    int closed_early;             /* blocks it closed there, whose '}' may still come    */
    char inner_word[32];          /* inside a block, the last word: what a '{' belongs to */
    Loc inner_loc;
    struct {
        char name[32];
        bool is_word;             /* its value is a name (relu), not a number            */
    } lets[64];                   /* the names `let` has defined so far, for the scanner */
    int nlets;
    bool too_deep;                /* "nested deeper than …" said for this statement       */
    int nstmts;                   /* statements read whole so far                         */
    int nstmts_at_error;          /* nstmts when the last syntax error was reported, or -1 */
    bool layer_outside;           /* a layer was written outside the model: its list lacks it */
} ParseState;
}

%code provides {
int yylex(YYSTYPE *yylval, YYLTYPE *yylloc, yyscan_t scanner);
/* After yyparse (its status): mark what the syntax errors took beyond one statement. */
void parse_finish(ParseState *ps, int status);
}

%code {
#include <ctype.h>
#include <string.h>

static void yyerror(const Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg);
static int report_unknown_statement(ParseState *ps, const char *word, const Loc *loc);

static Value *new_value(ParseState *ps, ValueKind kind, const Loc *loc)
{
    return ast_new_value(ps->arena, kind, *loc);
}

/* A node over its operands `args` (linked by next): one level deeper than the deepest. Past
 * VALUE_MAX_DEPTH levels the expression is refused (once per statement), and the node stands as
 * the number 0 so that nothing later walks a tree of any depth. */
static Value *new_node(ParseState *ps, ValueKind kind, const Loc *loc, Value *args)
{
    Value *v = new_value(ps, kind, loc);
    v->args = args;
    for (const Value *a = args; a; a = a->next)
        if (a->depth + 1 > v->depth)
            v->depth = a->depth + 1;
    if (v->depth <= VALUE_MAX_DEPTH)
        return v;
    if (!ps->too_deep)
        diag(ps->src, *loc, DIAG_ERROR, "expression nested deeper than %d levels; split it "
             "with 'let'", VALUE_MAX_DEPTH);
    ps->too_deep = true;
    Value *stand_in = new_value(ps, VAL_NUMBER, loc);
    stand_in->broken = true;
    return stand_in;
}

static Value *new_binop(ParseState *ps, const char *op, Value *a, Value *b, const Loc *loc)
{
    a->next = b;
    Value *v = new_node(ps, VAL_BINOP, loc, a);
    v->str = (char *)op;
    return v;
}

/* Whether a let of this value stands for a word (relu, normal(0.01), a path) rather than a number
 * or a size: a name is a word unless it is pi, e, or a let of a number; a call is a word unless
 * it is one of the math functions (sqrt(64)). */
static bool value_is_word(const ParseState *ps, const Value *v)
{
    switch (v->kind) {
    case VAL_NAME:
        if (!strcmp(v->str, "pi") || !strcmp(v->str, "e"))
            return false;
        for (int i = 0; i < ps->nlets; i++)
            if (!strcmp(ps->lets[i].name, v->str))
                return ps->lets[i].is_word;
        return true;
    case VAL_CALL: return !check_is_math_function(v->str);
    case VAL_STRING: return true;
    case VAL_NUMBER:
    case VAL_SIZE:
    case VAL_LIST:
    case VAL_BINOP:
    case VAL_NEG: return false;
    }
    return false;
}

/* `let NAME = value`: from here on the scanner reads NAME as LETNUM or LETWORD (`is_word`). A
 * name that is a layer kind, or the x, pi and e of expressions, would change what the file
 * means: refused (false), and the let is left out of the program. */
static bool define_let(ParseState *ps, const char *name, const Loc *loc, bool is_word)
{
    static const char *const reserved[] = {"x", "pi", "e", "true", "false", "full", NULL};
    for (int i = 0; reserved[i]; i++)
        if (!strcmp(name, reserved[i])) {
            diag(ps->src, *loc, DIAG_ERROR, "'%s' is a built-in name; a let cannot define it",
                 name);
            return false;
        }
    if (check_is_layer(name)) {
        diag(ps->src, *loc, DIAG_ERROR, "'%s' is a layer kind; a let cannot define it", name);
        return false;
    }
    for (int i = 0; i < ps->nlets; i++)
        if (!strcmp(ps->lets[i].name, name))
            return true; /* defined twice: the checker says so, with both places */
    int max = (int)(sizeof ps->lets / sizeof ps->lets[0]);
    if (ps->nlets == max || strlen(name) >= sizeof ps->lets[0].name) {
        diag(ps->src, *loc, DIAG_ERROR, "too many or too long let names (at most %d of %d "
             "characters)", max, (int)sizeof ps->lets[0].name - 1);
        return false;
    }
    snprintf(ps->lets[ps->nlets].name, sizeof ps->lets[0].name, "%s", name);
    ps->lets[ps->nlets].is_word = is_word;
    ps->nlets++;
    return true;
}

/* Lists grow at their front while they are read, one step per item however long they get, and
 * are turned around once, when complete. */
static Value *reverse_values(Value *v)
{
    Value *out = NULL;
    for (Value *next; v; v = next)
        next = v->next, v->next = out, out = v;
    return out;
}

static Setting *reverse_settings(Setting *s)
{
    Setting *out = NULL;
    for (Setting *next; s; s = next)
        next = s->next, s->next = out, out = s;
    return out;
}

static Layer *reverse_layers(Layer *l)
{
    Layer *out = NULL;
    for (Layer *next; l; l = next)
        next = l->next, l->next = out, out = l;
    return out;
}

static Stmt *new_stmt(ParseState *ps, StmtKind kind, const Loc *loc)
{
    Stmt *s = arena_alloc(ps->arena, sizeof *s);
    s->kind = kind;
    s->loc = *loc;
    return s;
}

/* ---- what a syntax error took (netc.h: the `broken` marks), so that the checker can still
 * check the rest and say nothing the lost part could change ---- */

static bool settings_broken(const Setting *s)
{
    for (; s; s = s->next)
        if (s->broken || (s->is_block && settings_broken(s->block)))
            return true;
    return false;
}

static bool layers_broken(const Layer *l)
{
    for (; l; l = l->next)
        if (l->broken || layers_broken(l->body))
            return true;
    return false;
}

/* Where `loc` starts in the source text (its end, if past it). */
static const char *text_at(const ParseState *ps, const Loc *loc)
{
    const char *p = ps->src->text, *end = ps->src->text + ps->src->len;
    for (int line = 1; line < loc->first_line && p < end; p++)
        line += *p == '\n';
    for (int col = 1; col < loc->first_column && p < end && *p != '\n'; col++)
        p++;
    return p;
}

/* What a statement that a syntax error took whole was, from the word it began with (after
 * `stmt: error`, Bison's location of the error token starts at the first symbol the recovery
 * threw away): a statement keyword names its kind; a layer's word was a layer outside the model;
 * another word may be a misspelt keyword, so it may have been any statement (LOST_ANY); a stray
 * '}' or number was none (LOST_NONE). */
enum { LOST_NONE = -1, LOST_ANY = -2 };

static int lost_kind(ParseState *ps, const Loc *loc)
{
    const char *p = text_at(ps, loc), *end = ps->src->text + ps->src->len, *w = p;
    while (w < end && (isalnum((unsigned char)*w) || *w == '_'))
        w++;
    char word[32];
    if (w == p || isdigit((unsigned char)*p) || w - p >= (long)sizeof word)
        return LOST_NONE;
    snprintf(word, sizeof word, "%.*s", (int)(w - p), p);
    for (int k = 0; statement_words[k]; k++)
        if (!strcmp(word, statement_words[k]))
            return k;
    if (check_is_layer(word)) {
        ps->layer_outside = true;
        return LOST_NONE;
    }
    return LOST_ANY;
}

/* Whether the broken value of a let, at `loc`, began as a word would (relu, normal(…)) rather
 * than a number ((, -, a digit): so that its uses still read as meant, `dense width` as one
 * layer and `act` as a layer of its own. */
static bool value_looks_like_word(const ParseState *ps, const Loc *loc)
{
    const char *p = text_at(ps, loc), *end = ps->src->text + ps->src->len;
    return p < end && (isalpha((unsigned char)*p) || *p == '_' || *p == '"');
}

/* A statement a syntax error took whole, of this kind or of any (LOST_ANY): it goes into the
 * program as there (not "missing"), with nothing to check. */
static void lose(ParseState *ps, int kind, const Loc *loc)
{
    for (int k = 0; k < STMT_KINDS; k++) {
        if ((k != kind && kind != LOST_ANY) || k == STMT_LET) /* a let with no name means nothing */
            continue;
        Stmt *s = new_stmt(ps, (StmtKind)k, loc);
        s->broken = s->lost = true;
        *ps->tail = s;
        ps->tail = &s->next;
    }
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
%token SCHEDULE "'schedule'" LET "'let'" REPEAT "'repeat'"
%token <str> IDENT "name"
%token <str> LETNUM "name of a number (let)" LETWORD "name of a word (let)"
%token <str> KEY "setting (name = value)"
%token <value> NUMBER "number" SIZE "size (e.g. 28x28)" STRING "string"

%nterm <stmt> stmt
%nterm <layer> layers layer
%nterm <setting> block opt_block settings setting
%nterm <setting> options
%nterm <value> value args expr
%nterm <value> positional
%nterm <str> layer_kind

/* Arithmetic, loosest first: 2 * -x ^ 2 is 2 * (-(x ^ 2)). */
%left '+' '-'
%left '*' '/'
%precedence NEG
%right '^'

%nterm <stmt> unknown_stmt

%%

program:
  %empty
| program stmt {
      if ($2) {
          *ps->tail = $2;
          ps->tail = &$2->next;
          ps->nstmts++;
          ps->last = $2;
      }
      ps->too_deep = false;
  }
;

/* stmt: 'model' NAME '{' layers '}'
 *     | 'loss' value block?
 *     | 'optimizer' value block?
 *     | 'train' block
 *     | 'data' value block?
 *     | 'schedule' value block?
 *     | 'let' NAME '=' value
 *     | WORD …          not a statement: a layer outside the model or a misspelt keyword,
 *                       reported here, once per line; its block, if any, is skipped unread */
stmt:
  MODEL IDENT open layers close {
      $$ = new_stmt(ps, STMT_MODEL, &@1);
      $$->name = $2;
      $$->name_loc = @2;
      $$->layers = reverse_layers($4);
      $$->broken = layers_broken($$->layers);
      ps->model_end = @5;
  }
| LOSS value opt_block {
      $$ = new_stmt(ps, STMT_LOSS, &@1);
      $$->value = $2;
      $$->settings = $3;
      $$->broken = settings_broken($3);
  }
| OPTIMIZER value opt_block {
      $$ = new_stmt(ps, STMT_OPTIMIZER, &@1);
      $$->value = $2;
      $$->settings = $3;
      $$->broken = settings_broken($3);
  }
| TRAIN block {
      $$ = new_stmt(ps, STMT_TRAIN, &@1);
      $$->settings = $2;
      $$->broken = settings_broken($2);
  }
| DATA value opt_block {
      $$ = new_stmt(ps, STMT_DATA, &@1);
      $$->value = $2;
      $$->settings = $3;
      $$->broken = settings_broken($3);
  }
| SCHEDULE value opt_block {
      $$ = new_stmt(ps, STMT_SCHEDULE, &@1);
      $$->value = $2;
      $$->settings = $3;
      $$->broken = settings_broken($3);
  }
| LET KEY value {
      $$ = new_stmt(ps, STMT_LET, &@1);
      $$->name = $2;
      $$->name_loc = @2;
      $$->value = $3;
      if (!define_let(ps, $2, &@2, value_is_word(ps, $3)))
          $$ = NULL;
  }
| LET KEY error { /* the name is known, its value lost: uses of it say nothing more */
      $$ = new_stmt(ps, STMT_LET, &@1);
      $$->name = $2;
      $$->name_loc = @2;
      $$->broken = true;
      if (!define_let(ps, $2, &@2, value_looks_like_word(ps, &@3)))
          $$ = NULL;
  }
| unknown_stmt            { $$ = $1; }
| error {
      int kind = lost_kind(ps, &@1);
      lose(ps, kind, &@1);
      /* a stray '}' or number right after the model (`dense 1}0`): its '}' may be early */
      if (kind == LOST_NONE && ps->last && ps->last->kind == STMT_MODEL)
          ps->last->broken = true;
      ps->last = NULL;
      $$ = NULL;
  }
;

/* unknown_stmt: WORD positional options ('{' anything '}')?
 * What follows an unknown word cannot be understood, so it is not parsed further: one message
 * for the word, none for its debris. While the parser recovers from an earlier syntax error the
 * words it meets are debris of that error, and they are not reported either. */
unknown_stmt:
  IDENT positional options {
      if (!YYRECOVERING() && @1.first_line != ps->unknown_line) {
          lose(ps, report_unknown_statement(ps, $1, &@1), &@1);
          ps->unknown_line = @1.first_line;
      }
      $$ = NULL;
  }
| unknown_stmt skipped_block { $$ = NULL; }
;

skipped_block:
  open skipped close
;

skipped:
  %empty
| skipped skipped_token
;

skipped_token:
  IDENT | KEY | NUMBER | SIZE | STRING | '(' | ')' | ',' | ':' | '-' | '+' | '*' | '/' | '^'
| LETNUM | LETWORD | MODEL | LOSS | OPTIMIZER | TRAIN | DATA | SCHEDULE | LET | REPEAT
| skipped_block
;

/* layers: layer*            in a model, in order (read backwards: see reverse_values) */
layers:
  %empty                  { $$ = NULL; }
| layers layer {
      $$ = $1;
      if ($2) {
          $2->next = $1;
          $$ = $2;
      }
  }
;

/* layer: KIND positional* options      dense 512 init=he_normal | relu | input 1x28x28
 *      | 'repeat' N '{' layers '}'     the layers N times over                          */
layer:
  layer_kind positional options {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = $1;
      $$->loc = @1;
      $$->arg = reverse_values($2);
      if ($$->arg) {
          $$->extra_args = $$->arg->next;
          $$->arg->next = NULL;
      }
      $$->opts = reverse_settings($3);
  }
| REPEAT positional open layers close {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = "repeat";
      $$->loc = @1;
      $$->arg = reverse_values($2);
      if ($$->arg) {
          $$->extra_args = $$->arg->next;
          $$->arg->next = NULL;
      }
      $$->body = reverse_layers($4);
  }
| error {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->kind = "";
      $$->loc = @1;
      $$->broken = true;
  }
;

layer_kind:
  IDENT                   { $$ = $1; }
| LETWORD                 { $$ = $1; }
;

/* positional: (NUMBER | '-' NUMBER | SIZE | LETNUM | '(' expr ')')*
 *             the first is the layer's argument, more are errors (read backwards) */
positional:
  %empty                  { $$ = NULL; }
| positional NUMBER       { $$ = $2; $$->next = $1; }
| positional SIZE         { $$ = $2; $$->next = $1; }
| positional LETNUM {
      $$ = new_value(ps, VAL_NAME, &@2);
      $$->str = $2;
      $$->next = $1;
  }
| positional '(' expr ')' { $$ = $3; $$->next = $1; }
| positional '-' NUMBER { /* never a valid size, but the checker words it best */
      $3->num = -$3->num;
      $3->loc = (Loc){@2.first_line, @2.first_column, @3.last_line, @3.last_column};
      $$ = $3;
      $$->next = $1;
  }
;

/* options: (KEY '=' value)*  (read backwards) */
options:
  %empty                  { $$ = NULL; }
| options KEY value {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $2;
      $$->loc = @2;
      $$->value = $3;
      $$->next = $1;
  }
;

opt_block:
  %empty                  { $$ = NULL; }
| block                   { $$ = $1; }
;

/* block: '{' (KEY '=' value)* '}' */
block:
  open settings close     { $$ = reverse_settings($2); }
;

/* the braces of a block, counted as the parser reads them (ParseState.depth) */
open:
  '{'                     { ps->depth++; }
;

close:
  '}'                     { ps->depth--; }
;

settings:
  %empty                  { $$ = NULL; }
| settings setting {
      $$ = $1;
      if ($2) {
          $2->next = $1;
          $$ = $2;
      }
  }
| settings ',' setting {
      /* Python's habit, `epochs = 5, batch = 64`: an error, but the settings are what was
       * meant, so the checker still reads them and reports the file's other errors */
      diag(ps->src, @2, DIAG_ERROR, "settings are separated by spaces, not ','");
      $$ = $1;
      if ($3) {
          $3->next = $1;
          $$ = $3;
      }
  }
;

setting:
  KEY value {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $1;
      $$->loc = @1;
      $$->value = $2;
      $$->broken = $2->broken; /* an unterminated string may have taken more settings */
  }
| IDENT block {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $1;
      $$->loc = @1;
      $$->is_block = true;
      $$->block = $2;
  }
| IDENT value {
      /* the slip everyone makes once: `lr 0.1`, read as meant */
      diag(ps->src, @1, DIAG_ERROR, "expected '=' after '%s'", $1);
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $1;
      $$->loc = @1;
      $$->value = $2;
  }
| IDENT ':' value {
      /* and the Python or YAML habit: `lr: 0.1`, read as meant */
      diag(ps->src, @2, DIAG_ERROR, "expected '=' after '%s', got ':'", $1);
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = $1;
      $$->loc = @1;
      $$->value = $3;
  }
| error {
      $$ = arena_alloc(ps->arena, sizeof *$$);
      $$->key = "";
      $$->loc = @1;
      $$->broken = true;
  }
;

/* value: expr | SIZE | STRING
 * expr:  NUMBER | NAME | NAME '(' value, … ')' | '(' value, … ')' | expr OP expr | '-' expr
 * Settings take numbers, names and calls (init=normal(0.01)); arithmetic and let names fold
 * into them in the checker; `y = log2(x) + 1` keeps its tree, to be emitted as C. */
value:
  expr                    { $$ = $1; }
| SIZE                    { $$ = $1; }
| STRING                  { $$ = $1; }
;

expr:
  NUMBER                  { $$ = $1; }
| IDENT                   { $$ = new_value(ps, VAL_NAME, &@1); $$->str = $1; }
| LETNUM                  { $$ = new_value(ps, VAL_NAME, &@1); $$->str = $1; }
| LETWORD                 { $$ = new_value(ps, VAL_NAME, &@1); $$->str = $1; }
| IDENT '(' args ')'      { $$ = new_node(ps, VAL_CALL, &@$, reverse_values($3)); $$->str = $1; }
| '(' args ')' {
      if ($2 && !$2->next) { /* (x): grouping */
          $$ = $2;
          $$->loc = @$;
      } else {
          $$ = new_node(ps, VAL_LIST, &@$, reverse_values($2));
      }
  }
| expr '+' expr           { $$ = new_binop(ps, "+", $1, $3, &@$); }
| expr '-' expr           { $$ = new_binop(ps, "-", $1, $3, &@$); }
| expr '*' expr           { $$ = new_binop(ps, "*", $1, $3, &@$); }
| expr '/' expr           { $$ = new_binop(ps, "/", $1, $3, &@$); }
| expr '^' expr           { $$ = new_binop(ps, "^", $1, $3, &@$); }
| '-' expr %prec NEG {
      if ($2->kind == VAL_NUMBER) { /* -0.5 is a number */
          $$ = $2;
          $$->num = -$$->num;
          $$->loc = @$;
      } else {
          $$ = new_node(ps, VAL_NEG, &@$, $2);
      }
  }
;

/* args: the values of a call or a list, read backwards */
args:
  %empty                  { $$ = NULL; }
| value                   { $$ = $1; }
| args ',' value          { $$ = $3; $$->next = $1; }
;

%%

/* A word where a statement should start: a layer outside its model, or a misspelt keyword.
 * Returns what the statement was (lost_kind): the kind the guess names, else any. */
static int report_unknown_statement(ParseState *ps, const char *word, const Loc *loc)
{
    if (check_is_layer(word)) {
        diag(ps->src, *loc, DIAG_ERROR, "layer '%s' outside a model; layers go inside "
             "'model NAME { … }'", word);
        if (ps->model_end.first_line && !ps->noted_model_end) {
            diag(ps->src, ps->model_end, DIAG_NOTE, "the model ends here");
            ps->noted_model_end = true;
        }
        ps->layer_outside = true;
        return LOST_NONE;
    }
    const char *guess = suggest(word, statement_words);
    if (guess) {
        diag(ps->src, *loc, DIAG_ERROR, "unknown statement '%s'; did you mean '%s'?", word, guess);
        for (int k = 0; statement_words[k]; k++)
            if (statement_words[k] == guess)
                return k;
    } else {
        char list[128];
        join_words(list, sizeof list, statement_words);
        diag(ps->src, *loc, DIAG_ERROR, "unknown statement '%s'; expected one of: %s", word,
             list);
    }
    return LOST_ANY;
}

void parse_finish(ParseState *ps, int status)
{
    for (Stmt *s = ps->head; s && ps->layer_outside; s = s->next)
        s->broken |= s->kind == STMT_MODEL; /* it lacks the layers written after its '}' */
    /* the parser gave up (memory exhausted, or the end of the file while recovering): any
     * statement may be in the rest, so none is missing */
    if (status != 0)
        lose(ps, LOST_ANY, &(Loc){ps->line, ps->col, ps->line, ps->col});
}

/* Bison's own messages: with parse.error custom, only "memory exhausted", when its stack of
 * open constructs is full (thousands of '(' or '^' waiting for their other half). */
static void yyerror(const Loc *loc, yyscan_t scanner, ParseState *ps, const char *msg)
{
    (void)scanner;
    if (!strcmp(msg, "memory exhausted"))
        diag(ps->src, *loc, DIAG_ERROR, "nested too deeply: more than %d constructs open here",
             YYMAXDEPTH);
    else
        diag(ps->src, *loc, DIAG_ERROR, "%s", msg);
}

/* "syntax error: expected A, B or C before 'x'". When a block is still open and the parser meets
 * the end of the file or the next statement, the missing '}' is the likely mistake: say which
 * block it would close and where that block began. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseState *ps)
{
    (void)scanner;
    /* the tokens worth naming: not the names of lets when there are none, nor operators */
    enum { MAX_EXPECTED = 6, MANY = 32 };
    yysymbol_kind_t all[MANY], expected[MAX_EXPECTED];
    int nall = yypcontext_expected_tokens(ctx, all, MANY), n = 0;
    for (int i = 0; i < nall; i++) {
        const char *name = yysymbol_name(all[i]);
        bool op = strlen(name) == 3 && name[0] == '\'' && strchr("+*/^(", name[1]);
        bool let = all[i] == YYSYMBOL_LETNUM || all[i] == YYSYMBOL_LETWORD;
        if (!op && !(let && ps->nlets == 0) && n < MAX_EXPECTED)
            expected[n++] = all[i];
    }
    yysymbol_kind_t got = yypcontext_token(ctx);
    Loc loc = *yypcontext_location(ctx);

    char before[80];
    if (got == YYSYMBOL_YYEOF || ps->at_eof) /* (a '}' put in at the end: see lexer.l) */
        snprintf(before, sizeof before, "end of file");
    else
        snprintf(before, sizeof before, "'%s'", ps->last_text);

    /* an unterminated string, reported already, may have taken the '}' the parser misses */
    if (got == YYSYMBOL_YYEOF && ps->ate_rest_of_line)
        return 0;
    /* a '}' with no block open, and no statement read whole since the last syntax error: the
     * end of the block whose opening that error was about (`model m` with no '{') */
    const char *got_name = yysymbol_name(got);
    if (!strcmp(got_name, "'}'") && ps->nopen == 0 && ps->nstmts == ps->nstmts_at_error)
        return 0;
    ps->nstmts_at_error = ps->nstmts;

    /* `lr = 0.1, momentum = 0.9`: a comma where the next setting may start */
    bool setting_may_start = false;
    for (int i = 0; i < nall; i++)
        setting_may_start |= all[i] == YYSYMBOL_KEY;
    if (!strcmp(got_name, "','") && setting_may_start) {
        diag(ps->src, loc, DIAG_ERROR, "settings are separated by spaces, not ','");
        return 0;
    }

    /* the tokens that start a value, listed one by one, read as noise: say "a value" */
    int starts_value = 0;
    for (int i = 0; i < nall; i++)
        starts_value += all[i] == YYSYMBOL_NUMBER || all[i] == YYSYMBOL_STRING ||
                        all[i] == YYSYMBOL_SIZE || all[i] == YYSYMBOL_IDENT ||
                        !strcmp(yysymbol_name(all[i]), "'-'");
    if (starts_value == 5) {
        diag(ps->src, loc, DIAG_ERROR, "expected a value before %s", before);
        return 0;
    }

    /* where a statement may start, list the statements, not the tokens */
    for (int i = 0; i < nall; i++)
        if (all[i] == YYSYMBOL_MODEL) {
            diag(ps->src, loc, DIAG_ERROR, "syntax error: expected a statement (model, loss, "
                 "optimizer, train, data, schedule or let) before %s", before);
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
