// Calimero node login page (served at /auth/login). Plain browser JavaScript, no build step.
// Talks to the auth API next to it: GET providers, POST token (both relative to /auth/).
(function () {
  'use strict';

  var params = new URLSearchParams(window.location.search);
  var form = document.getElementById('login-form');
  var username = document.getElementById('username');
  var password = document.getElementById('password');
  var button = document.getElementById('login');
  var errorBox = document.getElementById('error');
  var subtitle = document.getElementById('subtitle');
  var success = document.getElementById('success');
  var successMessage = document.getElementById('success-message');
  var providersInfo = document.getElementById('providers-info');

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = '';
    errorBox.hidden = true;
  }

  /** Only http(s) URLs (absolute, or relative to this page) are followed. */
  function safeUrl(raw) {
    if (!raw) return null;
    try {
      var url = new URL(raw, window.location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
    } catch (e) {
      return null;
    }
  }

  function afterLogin(tokens) {
    try {
      window.localStorage.setItem('access-token', tokens.access_token);
      window.localStorage.setItem('refresh-token', tokens.refresh_token);
    } catch (e) {
      // Storage may be disabled; the redirect below still carries the tokens for callback flows.
    }
    var callback = safeUrl(params.get('callback-url'));
    if (callback) {
      // meroctl-style flow: hand the tokens to the local callback server.
      callback.searchParams.set('access_token', tokens.access_token);
      callback.searchParams.set('refresh_token', tokens.refresh_token);
      window.location.assign(callback.toString());
      return;
    }
    var redirect = safeUrl(params.get('redirect'));
    if (redirect) {
      window.location.assign(redirect.toString());
      return;
    }
    form.hidden = true;
    subtitle.textContent = 'You are signed in.';
    successMessage.textContent = 'Signed in as ' + username.value + '. You can close this page.';
    success.hidden = false;
  }

  function setBusy(busy) {
    button.disabled = busy;
    button.textContent = busy ? 'Signing in…' : button.dataset.label || 'Sign in';
  }

  async function loadProviders() {
    try {
      var res = await fetch('providers', { headers: { Accept: 'application/json' } });
      var body = await res.json();
      var list = (body && body.data && body.data.providers) || [];
      var up = list.find(function (p) {
        return p.name === 'user_password';
      });
      if (!up) {
        subtitle.textContent = 'Username/password sign-in is not enabled on this node.';
        button.disabled = true;
        return;
      }
      if (up.configured) {
        subtitle.textContent = 'Enter your username and password.';
        button.dataset.label = 'Sign in';
      } else {
        subtitle.textContent = 'No user exists yet: this first sign-in creates the administrator account.';
        password.setAttribute('autocomplete', 'new-password');
        button.dataset.label = 'Create account and sign in';
      }
      button.textContent = button.dataset.label;
      providersInfo.textContent = 'Provider: ' + up.description;
    } catch (e) {
      subtitle.textContent = 'Enter your username and password.';
    }
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    clearError();
    var user = username.value.trim();
    var pass = password.value;
    if (!user || !pass) {
      showError('Please enter a username and a password.');
      return;
    }
    setBusy(true);
    try {
      var res = await fetch('token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          auth_method: 'user_password',
          public_key: user,
          client_name: window.location.origin,
          permissions: [],
          timestamp: Math.floor(Date.now() / 1000),
          provider_data: { username: user, password: pass },
        }),
      });
      var body = null;
      try {
        body = await res.json();
      } catch (e) {
        body = null;
      }
      if (!res.ok || !body || !body.data || !body.data.access_token) {
        showError((body && body.error) || 'Sign-in failed (HTTP ' + res.status + ').');
        return;
      }
      afterLogin(body.data);
    } catch (e) {
      showError('Cannot reach the node: ' + (e && e.message ? e.message : String(e)));
    } finally {
      setBusy(false);
    }
  });

  loadProviders();
})();
