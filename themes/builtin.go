package themes

import (
	"fmt"
	"image/color"
)

// builtins holds the built-in themes by name. Background is left nil in all
// of them (see Theme.Background).
var builtins = map[string]Theme{
	"dark":                dark(),
	"light":               light(),
	"high-contrast":       highContrast(),
	"high-contrast-light": highContrastLight(),
	"catppuccin-mocha":    catppuccinMocha(),
	"catppuccin-latte":    catppuccinLatte(),
	"dracula":             dracula(),
}

// mustHex parses a hex colour written in this file. A typo here is a
// programming error, so it panics at start-up (and in the tests) rather than
// silently showing no colour the way lipgloss.Color does.
func mustHex(s string) color.Color {
	c, err := parseHex(s)
	if err != nil {
		panic(fmt.Sprintf("themes: bad built-in colour %q: %v", s, err))
	}
	return c
}

// dark is the default theme for dark terminals, after GitHub's dark palette:
// calm foreground, saturated status colours that stay apart when the terminal
// downsamples them to 256 colours.
func dark() Theme {
	return Theme{
		Name:                "dark",
		Foreground:          mustHex("#c9d1d9"),
		Muted:               mustHex("#8b949e"),
		Accent:              mustHex("#58a6ff"),
		Selection:           mustHex("#264f78"),
		SelectionForeground: mustHex("#ffffff"),
		Border:              mustHex("#484f58"),
		Header:              mustHex("#79c0ff"),
		InSync:              mustHex("#3fb950"),
		Drifted:             mustHex("#d29922"),
		Missing:             mustHex("#bc8cff"),
		Unmanaged:           mustHex("#39c5cf"),
		Error:               mustHex("#f85149"),
		Warning:             mustHex("#db6d28"),
		DiffAdd:             mustHex("#3fb950"),
		DiffRemove:          mustHex("#f85149"),
		DiffHunk:            mustHex("#39c5cf"),
		DiffContext:         mustHex("#8b949e"),
		YAMLKey:             mustHex("#7ee787"),
		YAMLString:          mustHex("#a5d6ff"),
		YAMLNumber:          mustHex("#79c0ff"),
		YAMLComment:         mustHex("#8b949e"),
		YAMLPunctuation:     mustHex("#6e7681"),
	}
}

// light is the default theme for light terminals, after GitHub's light
// palette: darker, less saturated hues that keep their contrast on white.
func light() Theme {
	return Theme{
		Name:                "light",
		Foreground:          mustHex("#1f2328"),
		Muted:               mustHex("#656d76"),
		Accent:              mustHex("#0969da"),
		Selection:           mustHex("#b6e3ff"),
		SelectionForeground: mustHex("#1f2328"),
		Border:              mustHex("#8c959f"),
		Header:              mustHex("#0550ae"),
		InSync:              mustHex("#1a7f37"),
		Drifted:             mustHex("#9a6700"),
		Missing:             mustHex("#8250df"),
		Unmanaged:           mustHex("#1b7c83"),
		Error:               mustHex("#cf222e"),
		Warning:             mustHex("#bc4c00"),
		DiffAdd:             mustHex("#1a7f37"),
		DiffRemove:          mustHex("#cf222e"),
		DiffHunk:            mustHex("#1b7c83"),
		DiffContext:         mustHex("#656d76"),
		YAMLKey:             mustHex("#116329"),
		YAMLString:          mustHex("#0a3069"),
		YAMLNumber:          mustHex("#0550ae"),
		YAMLComment:         mustHex("#6e7781"),
		YAMLPunctuation:     mustHex("#57606a"),
	}
}

// highContrast is for dark terminals and low vision: pure, fully saturated
// colours and a reverse-video selection, every one well above WCAG AA
// contrast on black.
func highContrast() Theme {
	return Theme{
		Name:                "high-contrast",
		Foreground:          mustHex("#ffffff"),
		Muted:               mustHex("#d0d0d0"),
		Accent:              mustHex("#00ffff"),
		Selection:           mustHex("#ffffff"),
		SelectionForeground: mustHex("#000000"),
		Border:              mustHex("#ffffff"),
		Header:              mustHex("#ffff00"),
		InSync:              mustHex("#00ff00"),
		Drifted:             mustHex("#ffff00"),
		Missing:             mustHex("#ff87ff"),
		Unmanaged:           mustHex("#00ffff"),
		Error:               mustHex("#ff5f5f"),
		Warning:             mustHex("#ffaf00"),
		DiffAdd:             mustHex("#00ff00"),
		DiffRemove:          mustHex("#ff5f5f"),
		DiffHunk:            mustHex("#00ffff"),
		DiffContext:         mustHex("#e0e0e0"),
		YAMLKey:             mustHex("#00ffff"),
		YAMLString:          mustHex("#00ff00"),
		YAMLNumber:          mustHex("#ff87ff"),
		YAMLComment:         mustHex("#d0d0d0"),
		YAMLPunctuation:     mustHex("#ffffff"),
	}
}

// highContrastLight is the light-terminal counterpart of highContrast: dark,
// saturated colours that keep WCAG AA contrast on white.
func highContrastLight() Theme {
	return Theme{
		Name:                "high-contrast-light",
		Foreground:          mustHex("#000000"),
		Muted:               mustHex("#303030"),
		Accent:              mustHex("#0000cc"),
		Selection:           mustHex("#000000"),
		SelectionForeground: mustHex("#ffffff"),
		Border:              mustHex("#000000"),
		Header:              mustHex("#000080"),
		InSync:              mustHex("#006400"),
		Drifted:             mustHex("#7a4a00"),
		Missing:             mustHex("#800080"),
		Unmanaged:           mustHex("#005f5f"),
		Error:               mustHex("#b00000"),
		Warning:             mustHex("#8a3a00"),
		DiffAdd:             mustHex("#006400"),
		DiffRemove:          mustHex("#b00000"),
		DiffHunk:            mustHex("#005f87"),
		DiffContext:         mustHex("#303030"),
		YAMLKey:             mustHex("#00008b"),
		YAMLString:          mustHex("#006400"),
		YAMLNumber:          mustHex("#800080"),
		YAMLComment:         mustHex("#404040"),
		YAMLPunctuation:     mustHex("#000000"),
	}
}

// catppuccinMocha uses the published Catppuccin Mocha palette
// (https://catppuccin.com/palette), mapped to roles after the Catppuccin style
// guide: text/subtext for text, surface for selection, overlay for borders
// and comments, mauve as the accent.
func catppuccinMocha() Theme {
	const (
		text     = "#cdd6f4"
		subtext0 = "#a6adc8"
		overlay2 = "#9399b2"
		overlay0 = "#6c7086"
		surface1 = "#45475a"
		mauve    = "#cba6f7"
		blue     = "#89b4fa"
		sapphire = "#74c7ec"
		teal     = "#94e2d5"
		green    = "#a6e3a1"
		yellow   = "#f9e2af"
		peach    = "#fab387"
		pink     = "#f5c2e7"
		red      = "#f38ba8"
		lavender = "#b4befe"
	)
	return catppuccin("catppuccin-mocha", text, subtext0, overlay2, overlay0, surface1,
		mauve, blue, sapphire, teal, green, yellow, peach, pink, red, lavender)
}

// catppuccinLatte is the light flavour of Catppuccin, mapped to roles exactly
// as catppuccinMocha so the two look like the same theme on either background.
func catppuccinLatte() Theme {
	const (
		text     = "#4c4f69"
		subtext0 = "#6c6f85"
		overlay2 = "#7c7f93"
		overlay0 = "#9ca0b0"
		surface1 = "#bcc0cc"
		mauve    = "#8839ef"
		blue     = "#1e66f5"
		sapphire = "#209fb5"
		teal     = "#179299"
		green    = "#40a02b"
		yellow   = "#df8e1d"
		peach    = "#fe640b"
		pink     = "#ea76cb"
		red      = "#d20f39"
		lavender = "#7287fd"
	)
	return catppuccin("catppuccin-latte", text, subtext0, overlay2, overlay0, surface1,
		mauve, blue, sapphire, teal, green, yellow, peach, pink, red, lavender)
}

// catppuccin maps a Catppuccin flavour's named colours to roles, so that every
// flavour shares one mapping.
func catppuccin(name, text, subtext0, overlay2, overlay0, surface1,
	mauve, blue, sapphire, teal, green, yellow, peach, pink, red, lavender string,
) Theme {
	return Theme{
		Name:                name,
		Foreground:          mustHex(text),
		Muted:               mustHex(subtext0),
		Accent:              mustHex(mauve),
		Selection:           mustHex(surface1),
		SelectionForeground: mustHex(text),
		Border:              mustHex(overlay0),
		Header:              mustHex(lavender),
		InSync:              mustHex(green),
		Drifted:             mustHex(yellow),
		Missing:             mustHex(pink),
		Unmanaged:           mustHex(teal),
		Error:               mustHex(red),
		Warning:             mustHex(peach),
		DiffAdd:             mustHex(green),
		DiffRemove:          mustHex(red),
		DiffHunk:            mustHex(sapphire),
		DiffContext:         mustHex(subtext0),
		YAMLKey:             mustHex(blue),
		YAMLString:          mustHex(green),
		YAMLNumber:          mustHex(peach),
		YAMLComment:         mustHex(overlay2),
		YAMLPunctuation:     mustHex(overlay2),
	}
}

// dracula uses the published Dracula palette (https://draculatheme.com/spec),
// mapped to roles after its specification: comment colour for secondary text,
// orange for numbers and constants, yellow for strings, pink for keys.
func dracula() Theme {
	const (
		currentLine = "#44475a"
		foreground  = "#f8f8f2"
		comment     = "#6272a4"
		cyan        = "#8be9fd"
		green       = "#50fa7b"
		orange      = "#ffb86c"
		pink        = "#ff79c6"
		purple      = "#bd93f9"
		red         = "#ff5555"
		yellow      = "#f1fa8c"
	)
	return Theme{
		Name:                "dracula",
		Foreground:          mustHex(foreground),
		Muted:               mustHex(comment),
		Accent:              mustHex(purple),
		Selection:           mustHex(currentLine),
		SelectionForeground: mustHex(foreground),
		Border:              mustHex(comment),
		Header:              mustHex(pink),
		InSync:              mustHex(green),
		Drifted:             mustHex(yellow),
		Missing:             mustHex(orange),
		Unmanaged:           mustHex(cyan),
		Error:               mustHex(red),
		Warning:             mustHex(orange),
		DiffAdd:             mustHex(green),
		DiffRemove:          mustHex(red),
		DiffHunk:            mustHex(cyan),
		DiffContext:         mustHex(foreground),
		YAMLKey:             mustHex(pink),
		YAMLString:          mustHex(yellow),
		YAMLNumber:          mustHex(orange),
		YAMLComment:         mustHex(comment),
		YAMLPunctuation:     mustHex(foreground),
	}
}
