module example.com/forbidden

go 1.26
