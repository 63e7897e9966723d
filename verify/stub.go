package verify

// Placeholders while the package is written; deleted when the real
// implementations land. The signatures are the package's contract.

import (
	"errors"
	"text/template"
)

var errTODO = errors.New("verify: not implemented yet")

type LinkData struct{ UserID, Code, OrgID, Path, Channel string }

func ParseLinkTemplate(s string) (*template.Template, error)      { return nil, errTODO }
func RenderLink(t *template.Template, d LinkData) (string, error) { return "", errTODO }
