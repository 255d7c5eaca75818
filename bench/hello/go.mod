module hello

go 1.19

require webapp v0.0.0

replace webapp => ../../app
