"""Read the Wagtail admin's main menu from the sidebar's JSON props, as the browser does."""

import json

from bs4 import BeautifulSoup


def _value(item):
    return item["_val"] if isinstance(item, dict) and "_val" in item else item


def main_menu_names(response):
    props = BeautifulSoup(response.content, "html.parser").find(id="wagtail-sidebar-props")
    modules = json.loads(props.string)["modules"]
    menu = next(m for m in modules if m["_type"] == "wagtail.sidebar.MainMenuModule")
    return [_value(item["_args"][0]["name"]) for item in menu["_args"][0]]
