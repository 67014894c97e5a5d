package extract

import "strings"

// name is how a tree name is written in dest.
func (x *run) name(n string) string {
	if x.opt.WindowsNames {
		return windowsName(n)
	}
	return n
}

// windowsName makes a name one Windows accepts, the same way every run:
// <>:"\|?* and control characters become _, trailing dots and spaces go,
// and the reserved device names (CON, NUL, COM1, ..., with any
// extension) get a leading _.
func windowsName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`<>:"\|?*`, r) {
			return '_'
		}
		return r
	}, n)
	n = strings.TrimRight(n, ". ")
	if n == "" {
		return "_"
	}
	stem, _, _ := strings.Cut(n, ".")
	switch strings.ToUpper(strings.TrimRight(stem, " ")) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return "_" + n
	}
	return n
}
