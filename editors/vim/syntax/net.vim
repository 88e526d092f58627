" Vim syntax file for netc's .net model files (docs/language.md).
" Install: copy editors/vim/syntax and editors/vim/ftdetect into ~/.vim/ (or a plugin manager's
" directory). The word lists are the language's (`netc words`); tests/docs/editors.sh checks
" that every statement, layer, loss, optimizer, schedule, data source and init is here.
if exists("b:current_syntax")
  finish
endif

syn keyword netStatement data let loss model optimizer schedule train repeat
syn keyword netLayer avgpool batchnorm conv dense dropout elu flatten gelu input layernorm leaky_relu log_softmax maxpool mish relu sigmoid silu softmax softplus swish tanh
syn keyword netLoss binary_cross_entropy cross_entropy hinge huber kl_div mse multi_margin nll
syn keyword netOptimizer adagrad adam adamw momentum nesterov rmsprop sgd
syn keyword netSchedule constant cosine exponential multistep one_cycle step
syn keyword netData csv fashion_mnist function idx mnist
syn keyword netInit he_normal he_uniform lecun_normal lecun_uniform normal uniform xavier_normal xavier_uniform zeros
syn keyword netFunction abs cos exp log log10 log2 sin sqrt tan
syn keyword netConstant epoch false full horizontal last linspace mean none sum true valid_acc valid_loss pi e
" a setting or an option: the word before '=' (lr = 0.1, init=he_normal)
syn match netSetting "\<[A-Za-z_][A-Za-z_0-9]*\>\ze\s*="
syn match netNumber "\<\d\+\(\.\d*\)\=\([eE][-+]\=\d\+\)\=\>"
syn match netNumber "\.\d\+\([eE][-+]\=\d\+\)\=\>"
syn match netSize "\<\d\+x\d\+\(x\d\+\)\=\>"
syn region netString start=+"+ skip=+\\.+ end=+"+ oneline
syn match netComment "#.*$" contains=@Spell

hi def link netStatement Statement
hi def link netLayer Type
hi def link netLoss Function
hi def link netOptimizer Function
hi def link netSchedule Function
hi def link netData Function
hi def link netInit Function
hi def link netFunction Function
hi def link netConstant Constant
hi def link netSetting Identifier
hi def link netNumber Number
hi def link netSize Number
hi def link netString String
hi def link netComment Comment

let b:current_syntax = "net"
