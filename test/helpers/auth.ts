/** Body of mero-auth's `POST /auth/token` for the `user_password` provider (the first login creates the user). */
export function passwordTokenRequest(username: string, password: string, clientName = 'test-client') {
  return {
    auth_method: 'user_password',
    public_key: username,
    client_name: clientName,
    permissions: [],
    timestamp: Math.floor(Date.now() / 1000),
    provider_data: { username, password },
  };
}
