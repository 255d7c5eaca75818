module webapp

go 1.19
