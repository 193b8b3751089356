"""Case pages (D3, D4): thin views. Every case is fetched through the access policy (`web.with_case`)
and anything the user may not see answers 404 with nothing changed. A form that does not validate,
or that the rules refuse, shows the case page again with what was typed."""
