#!/usr/bin/env python3
"""Fills and submits the gateway's referral form in headless chromium, as a person would.

usage: referral-form-check.py --url http://127.0.0.1:PORT/refer --key fdk_... [--chromium /usr/bin/chromium]

Drives chromium over its DevTools protocol (websocket-client, pinned in scripts/setup.sh): types
into each field with Input.insertText after focusing it, clicks radios and the submit button with
real mouse events at their positions, and lets the browser submit the form natively (the page has
no script). First it submits the form empty, to see the error summary. Prints one JSON object:
the accessibility checks of the form page, the error summary's links, and the reference number
on the page after the referral was sent. GatewayReferralFormTests runs it and reads the topic.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[: i + 1]
                    return e
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
        raise RuntimeError(f"no {method} within {timeout} s")

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, selector):
        box = self.js(
            "(function(){var e=document.querySelector(%s);e.scrollIntoView({block:'center'});"
            "var r=e.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2]})()" % json.dumps(selector))
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, field_id, text):
        self.click("#" + field_id)
        self.call("Input.insertText", text=text)

    def submit_and_wait(self):
        self.events.clear()
        self.click("#submit")
        self.wait_for("Page.loadEventFired")


FORM_CHECKS = r"""
(function(){
  var out = {};
  var fields = Array.from(document.querySelectorAll('input, textarea, select'));
  out.fields = fields.length;
  out.unlabelled = fields.filter(function(f){
    return !f.id || !document.querySelector('label[for="' + f.id + '"]');
  }).map(function(f){ return f.name; });
  var radios = fields.filter(function(f){ return f.type === 'radio'; });
  out.radiosOutsideFieldset = radios.filter(function(r){
    var fs = r.closest('fieldset'); return !fs || !fs.querySelector('legend');
  }).map(function(r){ return r.id; });
  out.scripts = document.querySelectorAll('script').length;
  out.externalResources = performance.getEntriesByType('resource').map(function(r){ return r.name; });
  out.lang = document.documentElement.lang;
  out.title = document.title;
  out.h1 = (document.querySelector('h1') || {}).textContent || '';
  return out;
})()
"""

ERROR_SUMMARY = r"""
(function(){
  var s = document.querySelector('.error-summary');
  if (!s) return null;
  return {
    role: s.getAttribute('role'),
    links: Array.from(s.querySelectorAll('a')).map(function(a){
      var target = document.querySelector(a.getAttribute('href'));
      return {href: a.getAttribute('href'), text: a.textContent, targetExists: !!target};
    }),
    title: document.title
  };
})()
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()

    profile = tempfile.mkdtemp(prefix="frontdoor-referral-chromium-")
    browser = subprocess.Popen(
        [args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or browser.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page_target = next(t for t in targets if t.get("type") == "page")
        page = Page(page_target["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Page.navigate", url=args.url)
        page.wait_for("Page.loadEventFired")
        result = {"form": page.js(FORM_CHECKS)}

        # An empty submission: the error summary, each link pointing at a field on the page.
        page.submit_and_wait()
        result["errors"] = page.js(ERROR_SUMMARY)

        page.type_into("key", args.key)
        page.click("#reason-cme")
        page.type_into("givenName", "Test")
        page.type_into("familyName", "Child")
        page.type_into("dateOfBirth", "2014-03-27")
        page.type_into("postcode", "ME14 1XX")
        page.type_into("yearGroup", "7")
        page.type_into("lastSeenDate", "2026-09-11")
        page.click("#safeguarding-yes")
        page.type_into("details", "Not seen since the start of term; siblings also absent.")
        page.submit_and_wait()
        result["after"] = page.js(
            "({title: document.title, reference: (document.getElementById('reference') || {}).textContent || null,"
            " status: (document.querySelector('[role=status]') || {}).textContent || null})")
        print(json.dumps(result))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the test to show
        print(json.dumps({"failure": str(e)}))
        sys.exit(1)
