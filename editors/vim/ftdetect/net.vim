" netc's model files: *.net
autocmd BufRead,BufNewFile *.net setfiletype net
